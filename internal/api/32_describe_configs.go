package api

// DescribeConfigs (key 32), v1–4. Read-only here; AlterConfigs arrives with
// the log-lifecycle issue.
//
//   - Topics: every topic config with its effective value and source
//     (topic override, static broker config, default) and, v1+, the synonym
//     chain; v3+: type and documentation.
//   - Brokers: resource name "<node.id>" for this broker's configs, "" for
//     cluster-wide defaults.
//   - Sensitive (password) values are never returned.

import (
	"context"
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

func (h *Handlers) describeConfigs(_ context.Context, _ *wire.Conn, req *kmsg.DescribeConfigsRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.DescribeConfigsResponse)
	im := h.Ctrl.Image()
	for _, r := range req.Resources {
		rr := kmsg.NewDescribeConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = r.ResourceType, r.ResourceName
		want := func(name string) bool {
			if r.ConfigNames == nil {
				return true
			}
			for _, n := range r.ConfigNames {
				if n == name {
					return true
				}
			}
			return false
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
					v, src, syns := h.Config.TopicValue(name, overrides)
					rr.Configs = append(rr.Configs, describedConfig(config.TopicDefs[name], v, src, syns, req, false))
				}
			}
		case kmsg.ConfigResourceTypeBroker:
			if r.ResourceName != "" && r.ResourceName != strconv.Itoa(int(h.NodeID)) {
				rr.ErrorCode = kerr.InvalidRequest.Code
				rr.ErrorMessage = errMsg(errString("describing another broker's configs must be sent to that broker"))
				break
			}
			for _, name := range sortedKeys(config.BrokerDefs) {
				d := config.BrokerDefs[name]
				if !want(name) || (d.NoDef && !h.Config.IsSet(name)) {
					continue
				}
				src := config.SourceDefault
				if h.Config.IsSet(name) {
					src = config.SourceStaticBroker
				}
				v := h.Config.Get(name)
				syns := []config.Synonym{{Name: name, Value: v, Source: src}}
				rr.Configs = append(rr.Configs, describedConfig(d, v, src, syns, req, d.Scope == config.ReadOnly))
			}
		default:
			rr.ErrorCode = kerr.InvalidRequest.Code
			rr.ErrorMessage = errMsg(errString("only topic and broker configs can be described"))
		}
		resp.Resources = append(resp.Resources, rr)
	}
	return resp, nil
}

func describedConfig(d *config.Def, v string, src config.Source, syns []config.Synonym, req *kmsg.DescribeConfigsRequest, readOnly bool) kmsg.DescribeConfigsResponseResourceConfig {
	c := kmsg.NewDescribeConfigsResponseResourceConfig()
	c.Name, c.ReadOnly, c.Source = d.Name, readOnly, kmsg.ConfigSource(src)
	c.IsDefault = src == config.SourceDefault
	c.IsSensitive = d.Type == config.TypePassword || d.Sensitive
	if !c.IsSensitive {
		val := v
		c.Value = &val
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
