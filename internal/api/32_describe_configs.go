package api

// DescribeConfigs (key 32), v1–4 (v0 removed by KIP-896).
//
//   - Topics: every topic config with its effective value and source: the
//     topic's override (TOPIC_CONFIG), else the broker synonym through the
//     dynamic layers of the metadata image (DYNAMIC_BROKER_CONFIG of this
//     broker, DYNAMIC_DEFAULT_BROKER_CONFIG, STATIC_BROKER_CONFIG,
//     DEFAULT_CONFIG); v1+: the synonym chain in Kafka's order; v3+: type
//     and documentation.
//   - Brokers, as Kafka's ConfigHelper: resource "" lists only the
//     cluster-wide dynamic defaults; "<this node.id>" lists every broker
//     config; another broker's id is INVALID_REQUEST, because only that
//     broker knows its static configuration (admin clients send per-broker
//     resources to the broker itself). read_only is true for configs that
//     cannot change while running.
//   - Sensitive (password) values are never returned.

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) describeConfigsAPI() wire.API {
	return wire.API{Key: 32, Min: 1, Max: 4, Handle: typed(h.describeConfigs)}
}

func (h *Handlers) describeConfigs(_ context.Context, c *wire.Conn, req *kmsg.DescribeConfigsRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.DescribeConfigsResponse)
	im := h.Ctrl.Image()
	dyn := h.dynamicConfig(im)
	for _, r := range req.Resources {
		rr := kmsg.NewDescribeConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = r.ResourceType, r.ResourceName
		want := func(name string) bool { return r.ConfigNames == nil || slices.Contains(r.ConfigNames, name) }
		if code := h.configDenied(c, opDescribeConfigs, r.ResourceType, r.ResourceName); code != 0 {
			msg := kerrDescription(code)
			rr.ErrorCode, rr.ErrorMessage = code, &msg
			resp.Resources = append(resp.Resources, rr)
			continue
		}
		switch r.ResourceType {
		case kmsg.ConfigResourceTypeTopic:
			if im.Topics[r.ResourceName] == nil {
				rr.ErrorCode = kerr.UnknownTopicOrPartition.Code
				break
			}
			overrides := im.Configs[metadata.ConfigResource{Type: metadata.TopicResource, Name: r.ResourceName}]
			for _, name := range sortedKeys(config.TopicDefs) {
				if want(name) {
					v, src, syns := dyn.TopicValue(name, overrides)
					rr.Configs = append(rr.Configs, describedConfig(config.TopicDefs[name], &v, src, syns, req, false))
				}
			}
		case kmsg.ConfigResourceTypeBroker:
			rr.Configs, rr.ErrorCode, rr.ErrorMessage = h.describeBroker(im, dyn, r.ResourceName, want, req)
		default:
			rr.ErrorCode = kerr.InvalidRequest.Code
			rr.ErrorMessage = errMsg(errString("only topic and broker configs can be described"))
		}
		resp.Resources = append(resp.Resources, rr)
	}
	return resp, nil
}

// dynamicConfig is this broker's configuration as of im: its static
// configuration under the image's dynamic broker configs.
func (h *Handlers) dynamicConfig(im *metadata.Image) *config.Dynamic {
	return h.Config.Dynamic(
		im.Configs[metadata.ConfigResource{Type: metadata.BrokerResource, Name: metadata.BrokerConfigName(h.NodeID)}],
		im.Configs[metadata.ConfigResource{Type: metadata.BrokerResource}])
}

// describeBroker is a BROKER resource (Kafka's ConfigHelper.describeConfigs).
func (h *Handlers) describeBroker(im *metadata.Image, dyn *config.Dynamic, name string, want func(string) bool,
	req *kmsg.DescribeConfigsRequest) ([]kmsg.DescribeConfigsResponseResourceConfig, int16, *string) {
	var out []kmsg.DescribeConfigsResponseResourceConfig
	if name == "" {
		// The cluster default lists what is set dynamically at that level,
		// with only DYNAMIC_DEFAULT_BROKER_CONFIG synonyms.
		defaults := im.Configs[metadata.ConfigResource{Type: metadata.BrokerResource}]
		for _, n := range sortedKeys(defaults) {
			d := config.BrokerDefs[n]
			if d == nil || !want(n) {
				continue
			}
			v := defaults[n]
			syns := slices.DeleteFunc(dyn.Synonyms(n), func(s config.Synonym) bool { return s.Source != config.SourceDynamicDefaultBroker })
			out = append(out, describedConfig(d, &v, config.SourceDynamicDefaultBroker, syns, req, brokerReadOnly(d)))
		}
		return out, 0, nil
	}
	id, err := strconv.ParseInt(name, 10, 32)
	if err != nil {
		return nil, kerr.InvalidRequest.Code, errMsg(fmt.Errorf("Broker id must be an integer, but it is: %s", name))
	}
	if int32(id) != h.NodeID {
		return nil, kerr.InvalidRequest.Code, errMsg(fmt.Errorf("Unexpected broker id, expected %d or empty string, but received %s", h.NodeID, name))
	}
	for _, n := range sortedKeys(config.BrokerDefs) {
		if !want(n) {
			continue
		}
		d := config.BrokerDefs[n]
		v, src, syns, ok := dyn.BrokerValue(n)
		vp := &v
		if !ok {
			vp = nil // Kafka lists configs without a value as null
		}
		out = append(out, describedConfig(d, vp, src, syns, req, brokerReadOnly(d)))
	}
	return out, 0, nil
}

// brokerReadOnly: the config cannot be changed while running (Kafka's
// scope, or one Strom cannot apply live yet).
func brokerReadOnly(d *config.Def) bool { return d.Scope == config.ReadOnly || d.NoLive }

func describedConfig(d *config.Def, v *string, src config.Source, syns []config.Synonym, req *kmsg.DescribeConfigsRequest, readOnly bool) kmsg.DescribeConfigsResponseResourceConfig {
	c := kmsg.NewDescribeConfigsResponseResourceConfig()
	c.Name, c.ReadOnly, c.Source = d.Name, readOnly, kmsg.ConfigSource(src)
	c.IsDefault = src == config.SourceDefault
	c.IsSensitive = d.Type == config.TypePassword || d.Sensitive
	if !c.IsSensitive {
		c.Value = v
	}
	c.ConfigType = kmsg.ConfigType(d.Type)
	if req.IncludeDocumentation {
		doc := d.Doc
		c.Documentation = &doc
	}
	if req.IncludeSynonyms {
		for _, s := range syns {
			cs := kmsg.NewDescribeConfigsResponseResourceConfigConfigSynonym()
			val := s.Value
			cs.Name, cs.Source = s.Name, kmsg.ConfigSource(s.Source)
			if !c.IsSensitive {
				cs.Value = &val
			}
			c.ConfigSynonyms = append(c.ConfigSynonyms, cs)
		}
	}
	return c
}

type errString string

func (e errString) Error() string { return string(e) }
