package out

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"
	"sigs.k8s.io/yaml"
)

// Format is --format.
type Format string

const (
	Text Format = "text"
	JSON Format = "json"
	YAML Format = "yaml"
)

// Register adds --format to fs.
func (f *Format) Register(fs *pflag.FlagSet) {
	*f = Text
	fs.VarP((*formatValue)(f), "format", "o", "output format: text, json or yaml")
}

type formatValue Format

func (v *formatValue) String() string { return string(*v) }
func (v *formatValue) Type() string   { return "text|json|yaml" }
func (v *formatValue) Set(s string) error {
	switch Format(s) {
	case Text, JSON, YAML:
		*v = formatValue(s)
		return nil
	}
	return fmt.Errorf("want text, json or yaml")
}

// Print writes v as JSON or YAML, or calls text for the text form.
func (f Format) Print(w io.Writer, v any, text func(io.Writer) error) error {
	switch f {
	case JSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case YAML:
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	return text(w)
}

// Table writes rows aligned in columns under an upper-case header.
func Table(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(header, "\t")))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}
