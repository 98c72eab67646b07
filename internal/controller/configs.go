package controller

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/metadata"
)

// AlterConfig is one resource of an AlterConfigs or IncrementalAlterConfigs
// request: a topic, the cluster-wide broker defaults (BrokerResource "") or
// one broker's configs (BrokerResource "<id>").
type AlterConfig struct {
	Resource metadata.ConfigResource
	// Replace (legacy AlterConfigs): Set is the resource's complete new set
	// of dynamic configs; every other dynamic config is deleted.
	Replace bool
	Set     map[string]string
	// Ops (IncrementalAlterConfigs) change the current configs one by one.
	Ops []config.Op
}

// AlterConfigs changes dynamic configs (Kafka's ConfigurationControlManager):
// each resource's new config set is computed against the image, validated
// as a whole against the config registry, and the differences are written
// as ConfigRecords (a nil value deletes). The valid resources of one
// request commit as one metadata entry; validateOnly stops before that.
// Results are in request order; each Err wraps ErrInvalidConfig,
// ErrInvalidRequest or ErrUnknownTopic, or is a whole-request error
// (ErrNotController, a done ctx).
func (c *Controller) AlterConfigs(ctx context.Context, alts []AlterConfig, validateOnly bool) []error {
	return c.batchWrite(ctx, len(alts), validateOnly, func(im *metadata.Image) itemBuilder {
		return func(i, _ int) ([]metadata.Record, error) { return configRecords(im, alts[i]) }
	})
}

// configRecords validates one resource's change and returns its records.
func configRecords(im *metadata.Image, a AlterConfig) ([]metadata.Record, error) {
	target, err := configTarget(im, a.Resource)
	if err != nil {
		return nil, err
	}
	cur := im.Configs[a.Resource]
	next := a.Set
	if !a.Replace {
		if next, err = config.ApplyOps(target, cur, a.Ops); err != nil {
			return nil, configErr(err)
		}
	}
	if err := config.ValidateDynamic(target, next); err != nil {
		return nil, configErr(err)
	}
	names := slices.Sorted(maps.Keys(cur))
	for n := range next {
		if _, ok := cur[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var recs []metadata.Record
	for _, n := range names {
		old, had := cur[n]
		v, has := next[n]
		switch {
		case has && (!had || old != v):
			recs = append(recs, &metadata.ConfigRecord{ResourceType: a.Resource.Type, ResourceName: a.Resource.Name, Name: n, Value: &v})
		case had && !has:
			recs = append(recs, &metadata.ConfigRecord{ResourceType: a.Resource.Type, ResourceName: a.Resource.Name, Name: n})
		}
	}
	return recs, nil
}

// configTarget checks the resource exists as Kafka's controller does
// (checkConfigResource): a known topic; a broker resource that is "" or a
// non-negative integer (a broker need not be registered to get configs).
func configTarget(im *metadata.Image, r metadata.ConfigResource) (config.Target, error) {
	switch r.Type {
	case metadata.TopicResource:
		if im.Topics[r.Name] == nil {
			return 0, fmt.Errorf("%w: The topic '%s' does not exist.", ErrUnknownTopic, r.Name)
		}
		return config.TargetTopic, nil
	case metadata.BrokerResource:
		if r.Name == "" {
			return config.TargetClusterDefault, nil
		}
		id, err := strconv.ParseInt(r.Name, 10, 32)
		switch {
		case err != nil:
			return 0, fmt.Errorf("%w: Illegal non-integral BROKER resource type name.", ErrInvalidRequest)
		case id < 0:
			return 0, fmt.Errorf("%w: Illegal negative BROKER resource type name.", ErrInvalidRequest)
		}
		return config.TargetBroker, nil
	}
	return 0, fmt.Errorf("%w: Unknown resource type %d.", ErrInvalidRequest, r.Type)
}

// configErr maps a config registry error to the controller's sentinels.
func configErr(err error) error {
	if errors.Is(err, config.ErrInvalidConfig) {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, config.Message(err))
	}
	return fmt.Errorf("%w: %v", ErrInvalidRequest, err)
}
