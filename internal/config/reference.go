package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Reference renders docs/configuration.md from the registry: every broker
// and topic config with its type, default, valid values, dynamic scope,
// synonym and documentation. TestConfigDoc keeps the committed file equal
// to it.
func Reference() string {
	var b strings.Builder
	b.WriteString(referenceIntro)
	b.WriteString("\n## Broker configs\n\n")
	b.WriteString("Set in `server.properties` or with `--override`. The *Dynamic* column is Kafka's update mode\n")
	b.WriteString("(`read-only`: restart needed; `per-broker`: one broker at a time; `cluster-wide`: one broker or\n")
	b.WriteString("the cluster default); *not live* marks configs Kafka updates dynamically that Strom refuses to\n")
	b.WriteString("change while running for now.\n\n")
	b.WriteString("| Name | Type | Default | Valid values | Dynamic | Description |\n|---|---|---|---|---|---|\n")
	for _, name := range slices.Sorted(maps.Keys(BrokerDefs)) {
		d := BrokerDefs[name]
		doc := d.Doc
		if d.PerListener {
			doc = "*Per listener.* " + doc
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n", d.Name, typeWord(d.Type), defaultCell(d), validCell(d), scopeCell(d), cell(doc))
	}
	b.WriteString("\n## Topic configs\n\n")
	b.WriteString("Given to CreateTopics (`strom topic create -c k=v`) or changed at any time with\n")
	b.WriteString("IncrementalAlterConfigs (`strom topic alter-config`). A topic without its own value takes the\n")
	b.WriteString("broker config in the *Broker synonym* column.\n\n")
	b.WriteString("| Name | Type | Default | Valid values | Broker synonym | Description |\n|---|---|---|---|---|---|\n")
	for _, name := range slices.Sorted(maps.Keys(TopicDefs)) {
		d := TopicDefs[name]
		syn := "—" // Kafka has no broker-wide default for it
		if d.Synonym != "" {
			syn = "`" + d.Synonym + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n", d.Name, typeWord(d.Type), defaultCell(d), validCell(d), syn, cell(d.Doc))
	}
	return b.String()
}

const referenceIntro = `<!-- Generated from internal/config by ` + "`go test ./internal/config -run TestConfigDoc -update`" + `; do not edit. -->

# Configuration reference

Strom uses Kafka's config names, types and defaults (Kafka 4.1) except where a description
says otherwise. Unknown names are rejected, at start-up and in AlterConfigs alike.

A broker reads ` + "`server.properties`" + ` (` + "`strom serve server.properties`" + `) and then
` + "`--override key=value`" + ` settings, later ones winning, as ` + "`kafka-server-start.sh`" + ` does.

Dynamic configs live in the cluster's metadata log and apply without a restart:

- topic configs: ` + "`strom topic alter-config TOPIC --set k=v`" + `, or any Kafka tool
  (` + "`kafka-configs.sh --alter --entity-type topics`" + `, AdminClient ` + "`incrementalAlterConfigs`" + `);
- broker configs, for one broker or as the cluster-wide default:
  ` + "`strom cluster config set k=v [--broker ID]`" + `.

A value is resolved in Kafka's order, which DescribeConfigs reports as the config's source and
synonyms: the topic's own value (DYNAMIC_TOPIC_CONFIG), this broker's dynamic value
(DYNAMIC_BROKER_CONFIG), the cluster-wide dynamic default (DYNAMIC_DEFAULT_BROKER_CONFIG),
` + "`server.properties`" + ` (STATIC_BROKER_CONFIG), the default (DEFAULT_CONFIG).

The TLS and SASL configs marked *per listener* may also be set for one listener as
` + "`listener.name.<listener>.<config>`" + ` (lower-case listener name), which wins over the plain
name; a PLAIN JAAS config is usually set per listener and mechanism, as
` + "`listener.name.<listener>.plain.sasl.jaas.config`" + `. See docs/security.md.
`

func typeWord(t Type) string {
	return map[Type]string{TypeBoolean: "boolean", TypeString: "string", TypeInt: "int", TypeShort: "short",
		TypeLong: "long", TypeDouble: "double", TypeList: "list", TypeClass: "class", TypePassword: "password"}[t]
}

func defaultCell(d *Def) string {
	switch {
	case d.NoDef:
		return "null"
	case d.Default == "":
		return `""`
	}
	return "`" + d.Default + "`"
}

func validCell(d *Def) string {
	if d.Valid == nil {
		return ""
	}
	return cell(d.Valid.Desc)
}

func scopeCell(d *Def) string {
	s := map[Scope]string{ReadOnly: "read-only", PerBroker: "per-broker", ClusterWide: "cluster-wide"}[d.Scope]
	if d.NoLive {
		s += " (not live)"
	}
	return s
}

// cell escapes text for a markdown table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
