package config

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// OpType is an IncrementalAlterConfigs operation (KIP-339); the numbers are
// Kafka's AlterConfigOp.OpType ids, so they come off the wire unchanged.
type OpType int8

const (
	OpSet      OpType = 0
	OpDelete   OpType = 1
	OpAppend   OpType = 2 // list configs only: add values not yet present
	OpSubtract OpType = 3 // list configs only: remove values
)

func (o OpType) String() string {
	switch o {
	case OpSet:
		return "SET"
	case OpDelete:
		return "DELETE"
	case OpAppend:
		return "APPEND"
	case OpSubtract:
		return "SUBTRACT"
	}
	return fmt.Sprintf("OpType(%d)", int8(o))
}

// Op is one config change of an IncrementalAlterConfigs resource.
type Op struct {
	Name  string
	Type  OpType
	Value string // ignored by OpDelete
}

// Target is the kind of dynamic config set a change is for.
type Target int8

const (
	TargetTopic          Target = 1 // a topic's overrides
	TargetClusterDefault Target = 2 // BROKER resource "": every broker's dynamic default
	TargetBroker         Target = 3 // BROKER resource "<id>": one broker
)

// ErrInvalidConfig is wrapped by every error of ApplyOps and
// ValidateDynamic: the change is refused with Kafka's INVALID_CONFIG.
var ErrInvalidConfig = errors.New("invalid config")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
}

// Message is the client-facing text of an error from this file (without
// the ErrInvalidConfig prefix).
func Message(err error) string {
	s, _ := strings.CutPrefix(err.Error(), ErrInvalidConfig.Error()+": ")
	return s
}

func (t Target) defs() map[string]*Def {
	if t == TargetTopic {
		return TopicDefs
	}
	return BrokerDefs
}

// ApplyOps returns the dynamic configs of a resource after ops, as Kafka's
// ConfigurationControlManager computes them: SET replaces, DELETE removes,
// APPEND adds the comma-separated values not yet in the list and SUBTRACT
// removes them. APPEND and SUBTRACT start from the current dynamic value,
// else the config's default, and are refused for configs that are not
// lists. current is not modified. The result is not validated: call
// ValidateDynamic on it.
func ApplyOps(t Target, current map[string]string, ops []Op) (map[string]string, error) {
	next := maps.Clone(current)
	if next == nil {
		next = map[string]string{}
	}
	for _, op := range ops {
		switch op.Type {
		case OpSet:
			next[op.Name] = op.Value
		case OpDelete:
			delete(next, op.Name)
		case OpAppend, OpSubtract:
			d := t.defs()[op.Name]
			if d == nil || d.Type != TypeList {
				return nil, invalid("Can't %s to key %s because its type is not LIST.", op.Type, op.Name)
			}
			cur, ok := next[op.Name]
			if !ok {
				cur = d.Default
			}
			parts := splitList(cur)
			for _, v := range strings.Split(op.Value, ",") {
				if op.Type == OpAppend && !slices.Contains(parts, v) {
					parts = append(parts, v)
				} else if op.Type == OpSubtract {
					parts = slices.DeleteFunc(parts, func(p string) bool { return p == v })
				}
			}
			next[op.Name] = strings.Join(parts, ",")
		default:
			return nil, fmt.Errorf("unknown operation type %d", op.Type)
		}
	}
	return next, nil
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ValidateDynamic checks the complete set of dynamic configs a resource
// would have, in Kafka's order: for topics, unknown names then each value;
// for brokers (DynamicBrokerConfig.validateConfigs), unknown names, configs
// that cannot change at run time, values, and per-broker configs set at
// the cluster-default level. Every error wraps ErrInvalidConfig.
func ValidateDynamic(t Target, configs map[string]string) error {
	names := slices.Sorted(maps.Keys(configs))
	defs := t.defs()
	kind := "topic"
	if t != TargetTopic {
		kind = "broker"
	}
	for _, n := range names {
		if defs[n] == nil {
			return invalid("Unknown %s config name: %s", kind, n)
		}
	}
	if t != TargetTopic {
		if bad := filterNames(names, func(d *Def) bool { return d.Scope == ReadOnly }); len(bad) > 0 {
			return invalid("Cannot update these configs dynamically: [%s]", strings.Join(bad, ", "))
		}
		if bad := filterNames(names, func(d *Def) bool { return d.NoLive }); len(bad) > 0 {
			return invalid("Strom cannot apply these configs while running yet; set them in server.properties: [%s]", strings.Join(bad, ", "))
		}
	}
	for _, n := range names {
		if err := defs[n].Validate(configs[n]); err != nil {
			return invalid("%s", err.Error())
		}
	}
	if t == TargetTopic {
		if err := ValidateTopicConfigSet(configs); err != nil {
			return invalid("%s", err.Error())
		}
	}
	if t == TargetClusterDefault {
		if bad := filterNames(names, func(d *Def) bool { return d.Scope == PerBroker }); len(bad) > 0 {
			return invalid("Cannot update these configs at default cluster level, broker id must be specified: [%s]", strings.Join(bad, ", "))
		}
	}
	return nil
}

// filterNames returns the broker config names whose def matches.
func filterNames(names []string, match func(*Def) bool) []string {
	var out []string
	for _, n := range names {
		if match(BrokerDefs[n]) {
			out = append(out, n)
		}
	}
	return out
}
