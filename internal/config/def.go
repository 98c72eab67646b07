package config

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Type is a config's value type. The numbers are Kafka's DescribeConfigs
// config types (v3+), so they go on the wire unchanged.
type Type int8

const (
	TypeBoolean  Type = 1
	TypeString   Type = 2
	TypeInt      Type = 3
	TypeShort    Type = 4
	TypeLong     Type = 5
	TypeDouble   Type = 6
	TypeList     Type = 7
	TypeClass    Type = 8
	TypePassword Type = 9
)

// Scope says whether and how a broker config can change at run time
// (Kafka's DynamicBrokerConfig). Topic configs are always dynamic.
type Scope int8

const (
	ReadOnly    Scope = 0 // needs a restart
	PerBroker   Scope = 1 // dynamic, per broker
	ClusterWide Scope = 2 // dynamic, per broker or cluster default
)

// Def defines one config.
type Def struct {
	Name    string
	Type    Type
	Default string // "" with HasDefault=false means no default (null)
	NoDef   bool   // true when the config has no default value
	Doc     string
	Scope   Scope
	// NoLive marks a config Kafka updates dynamically (Scope is Kafka's)
	// that Strom cannot yet apply while running: AlterConfigs refuses it
	// with INVALID_CONFIG and DescribeConfigs reports it read-only, so a
	// change is never accepted and silently ignored.
	NoLive bool
	// Synonym is, for a topic config, the broker config that supplies its
	// default (segment.bytes ← log.segment.bytes).
	Synonym string
	// Valid checks a value already known to parse as Type; nil means any.
	Valid     *Validator
	Sensitive bool
	// PerListener configs may also be set for one listener, as
	// listener.name.<listener>.<name> (Kafka's listener prefix).
	PerListener bool
}

// Validate checks that v parses as the def's type and passes its validator.
func (d *Def) Validate(v string) error {
	if err := checkType(d.Type, v); err != nil {
		return fmt.Errorf("invalid value %q for configuration %s: %w", v, d.Name, err)
	}
	if d.Valid != nil {
		if err := d.Valid.Check(v); err != nil {
			return fmt.Errorf("invalid value %q for configuration %s: %w", v, d.Name, err)
		}
	}
	return nil
}

func checkType(t Type, v string) error {
	v = strings.TrimSpace(v)
	var err error
	switch t {
	case TypeBoolean:
		if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
			return fmt.Errorf("expected true or false")
		}
	case TypeInt:
		_, err = strconv.ParseInt(v, 10, 32)
	case TypeShort:
		_, err = strconv.ParseInt(v, 10, 16)
	case TypeLong:
		_, err = strconv.ParseInt(v, 10, 64)
	case TypeDouble:
		_, err = strconv.ParseFloat(v, 64)
	}
	if err != nil {
		return fmt.Errorf("expected a %s", typeName(t))
	}
	return nil
}

func typeName(t Type) string {
	return map[Type]string{TypeBoolean: "boolean", TypeString: "string", TypeInt: "32-bit integer", TypeShort: "16-bit integer",
		TypeLong: "64-bit integer", TypeDouble: "number", TypeList: "list", TypeClass: "class", TypePassword: "password"}[t]
}

// Validator checks a config value; Desc says what it accepts, for the
// configuration reference (docs/configuration.md).
type Validator struct {
	Desc  string
	Check func(string) error
}

func atLeast(min int64) *Validator {
	return &Validator{Desc: fmt.Sprintf("[%d,...]", min), Check: func(v string) error {
		n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if n < min {
			return fmt.Errorf("value must be at least %d", min)
		}
		return nil
	}}
}

func oneOf(vals ...string) *Validator {
	return &Validator{Desc: "[" + strings.Join(vals, ", ") + "]", Check: func(v string) error {
		if !slices.Contains(vals, strings.TrimSpace(v)) {
			return fmt.Errorf("value must be one of %s", strings.Join(vals, ", "))
		}
		return nil
	}}
}

func listOf(vals ...string) *Validator {
	return &Validator{Desc: "list of [" + strings.Join(vals, ", ") + "]", Check: func(v string) error {
		for _, e := range strings.Split(v, ",") {
			if !slices.Contains(vals, strings.TrimSpace(e)) {
				return fmt.Errorf("each value must be one of %s", strings.Join(vals, ", "))
			}
		}
		return nil
	}}
}

var ratio = &Validator{Desc: "[0,...,1]", Check: func(v string) error {
	f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if f < 0 || f > 1 {
		return fmt.Errorf("value must be between 0 and 1")
	}
	return nil
}}

var maxLong = strconv.FormatInt(math.MaxInt64, 10)
