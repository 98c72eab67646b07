package config

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// ParseProperties reads Java .properties syntax: '#' and '!' comments,
// key=value, key:value or key value, trailing-backslash continuation lines,
// and the common escapes (\t \n \\ \= \: \uXXXX is not needed for config
// names and is kept literally).
func ParseProperties(r io.Reader) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	var logical strings.Builder
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimLeft(sc.Text(), " \t\f")
		if logical.Len() == 0 && (line == "" || line[0] == '#' || line[0] == '!') {
			continue
		}
		if cont := trailingBackslashes(line)%2 == 1; cont {
			logical.WriteString(line[:len(line)-1])
			continue
		}
		logical.WriteString(line)
		k, v, err := splitProperty(logical.String())
		logical.Reset()
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", lineNo, err)
		}
		out[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if logical.Len() > 0 {
		k, v, err := splitProperty(logical.String())
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", lineNo, err)
		}
		out[k] = v
	}
	return out, nil
}

func trailingBackslashes(s string) int {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n
}

func splitProperty(s string) (string, string, error) {
	var key strings.Builder
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			key.WriteByte(unescape(s[i]))
			continue
		}
		if c == '=' || c == ':' || c == ' ' || c == '\t' {
			break
		}
		key.WriteByte(c)
	}
	rest := strings.TrimLeft(s[i:], " \t")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], " \t")
	}
	if key.Len() == 0 {
		return "", "", fmt.Errorf("property without a name: %q", s)
	}
	var val strings.Builder
	for j := 0; j < len(rest); j++ {
		if rest[j] == '\\' && j+1 < len(rest) {
			j++
			val.WriteByte(unescape(rest[j]))
			continue
		}
		val.WriteByte(rest[j])
	}
	return key.String(), strings.TrimRight(val.String(), " \t\r"), nil
}

func unescape(c byte) byte {
	switch c {
	case 't':
		return '\t'
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 'f':
		return '\f'
	}
	return c
}

// ParseOverride splits one --override argument, "key=value".
func ParseOverride(s string) (string, string, error) {
	k, v, ok := strings.Cut(s, "=")
	k = strings.TrimSpace(k)
	if !ok || k == "" {
		return "", "", fmt.Errorf("--override %q: want key=value", s)
	}
	return k, strings.TrimSpace(v), nil
}
