package compat

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"

	"github.com/strom-project/strom/internal/teststrom"
)

// systemPython is Debian's interpreter, which sees the python3-* packages; a pyenv
// python3 earlier on PATH does not.
const systemPython = "/usr/bin/python3"

var kcatVersionRE = regexp.MustCompile(`Version (\S+) .*librdkafka (\S+)`)

// clientVersions reports the version of every client, keyed by client name, plus
// "go" for the toolchain. Missing clients are absent.
func clientVersions() map[string]string {
	v := map[string]string{"go": runtime.Version()}
	if out, err := exec.Command("kcat", "-V").CombinedOutput(); err == nil {
		if m := kcatVersionRE.FindStringSubmatch(string(out)); m != nil {
			v[clientKcat] = "kcat " + m[1] + " (librdkafka " + m[2] + ")"
		}
	}
	out, err := exec.Command(systemPython, "-c", `import confluent_kafka; print(confluent_kafka.version()[0], confluent_kafka.libversion()[0])`).Output()
	if f := strings.Fields(string(out)); err == nil && len(f) == 2 {
		v[clientConfluent] = f[0] + " (librdkafka " + f[1] + ", Debian python3-confluent-kafka)"
	}
	out, err = exec.Command(systemPython, "-c", `import kafka; print(kafka.__version__)`).Output()
	if err == nil {
		v[clientKafkaPy] = strings.TrimSpace(string(out)) + " (Debian python3-kafka)"
	}
	if kv := kafkajsVersion(); kv != "" {
		v[clientKafkaJS] = kv + " (npm, node " + nodeVersion() + ")"
	}
	mods := goModuleVersions("github.com/twmb/franz-go", "github.com/twmb/franz-go/pkg/kadm",
		"github.com/IBM/sarama", "github.com/segmentio/kafka-go")
	if m := mods["github.com/twmb/franz-go"]; m != "" {
		v[clientFranz] = "github.com/twmb/franz-go " + m + ", kadm " + mods["github.com/twmb/franz-go/pkg/kadm"]
	}
	if m := mods["github.com/IBM/sarama"]; m != "" {
		v[clientSarama] = "github.com/IBM/sarama " + m
	}
	if m := mods["github.com/segmentio/kafka-go"]; m != "" {
		v[clientKafkaGo] = "github.com/segmentio/kafka-go " + m
	}
	return v
}

// goModuleVersions maps each module path to the version this build selects. A test
// binary's debug.ReadBuildInfo has no dependencies, so this asks `go list -m`.
func goModuleVersions(paths ...string) map[string]string {
	out := map[string]string{}
	root, err := teststrom.ModuleRoot()
	if err != nil {
		return out
	}
	cmd := exec.Command("go", append([]string{"list", "-m", "-f", "{{.Path}} {{with .Replace}}{{.Version}}{{else}}{{.Version}}{{end}}"}, paths...)...)
	cmd.Dir = root
	data, err := cmd.Output()
	if err != nil {
		return out
	}
	for _, l := range lines(string(data)) {
		if f := strings.Fields(l); len(f) == 2 {
			out[f[0]] = f[1]
		}
	}
	return out
}

// kafkajsVersion is the installed kafkajs version, or "" if it is not installed.
func kafkajsVersion() string {
	data, err := os.ReadFile(filepath.Join("js", "node_modules", "kafkajs", "package.json"))
	if err != nil {
		return ""
	}
	var pkg struct{ Version string }
	if json.Unmarshal(data, &pkg) != nil {
		return ""
	}
	return pkg.Version
}

func nodeVersion() string {
	out, err := exec.Command("node", "--version").Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}
