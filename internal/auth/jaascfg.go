package auth

import (
	"errors"
	"fmt"
	"strings"
)

// JAAS is one login module of a Kafka sasl.jaas.config value:
//
//	org.apache.kafka.common.security.plain.PlainLoginModule required
//	    username="admin" password="admin-secret" user_alice="alice-secret";
type JAAS struct {
	LoginModule string
	Flag        string // required, requisite, sufficient or optional
	Options     map[string]string
}

// ParseJAAS parses a sasl.jaas.config value, which must hold exactly one
// login module, as Kafka's JaasConfig requires. Values are unquoted words
// or double-quoted strings in which a backslash escapes the next character.
func ParseJAAS(s string) (JAAS, error) {
	t := &jaasTokens{s: s}
	var j JAAS
	var err error
	if j.LoginModule, err = t.word("login module class"); err != nil {
		return JAAS{}, err
	}
	if j.Flag, err = t.word("control flag"); err != nil {
		return JAAS{}, err
	}
	switch strings.ToLower(j.Flag) {
	case "required", "requisite", "sufficient", "optional":
	default:
		return JAAS{}, fmt.Errorf("sasl.jaas.config: invalid control flag %q", j.Flag)
	}
	j.Options = map[string]string{}
	for {
		t.space()
		if t.eof() {
			return JAAS{}, errors.New("sasl.jaas.config: missing ';' at the end")
		}
		if t.peek() == ';' {
			t.i++
			break
		}
		key, err := t.word("option name")
		if err != nil {
			return JAAS{}, err
		}
		t.space()
		if t.eof() || t.peek() != '=' {
			return JAAS{}, fmt.Errorf("sasl.jaas.config: option %s has no '='", key)
		}
		t.i++
		if j.Options[key], err = t.value(key); err != nil {
			return JAAS{}, err
		}
	}
	if t.space(); !t.eof() {
		return JAAS{}, errors.New("sasl.jaas.config: must hold exactly one login module")
	}
	return j, nil
}

// PlainUsersFromJAAS returns the users of a PlainLoginModule config: its
// user_<name>="<password>" options.
func PlainUsersFromJAAS(j JAAS) (map[string]string, error) {
	if !strings.HasSuffix(j.LoginModule, "PlainLoginModule") {
		return nil, fmt.Errorf("sasl.jaas.config for PLAIN names %s, not PlainLoginModule", j.LoginModule)
	}
	users := map[string]string{}
	for k, v := range j.Options {
		if name, ok := strings.CutPrefix(k, "user_"); ok && name != "" {
			users[name] = v
		}
	}
	return users, nil
}

type jaasTokens struct {
	s string
	i int
}

func (t *jaasTokens) eof() bool  { return t.i >= len(t.s) }
func (t *jaasTokens) peek() byte { return t.s[t.i] }

func (t *jaasTokens) space() {
	for !t.eof() && strings.IndexByte(" \t\r\n", t.peek()) >= 0 {
		t.i++
	}
}

// word reads an unquoted token: up to white space, '=' or ';'.
func (t *jaasTokens) word(what string) (string, error) {
	t.space()
	start := t.i
	for !t.eof() && strings.IndexByte(" \t\r\n=;\"", t.peek()) < 0 {
		t.i++
	}
	if t.i == start {
		return "", fmt.Errorf("sasl.jaas.config: expected the %s at offset %d", what, start)
	}
	return t.s[start:t.i], nil
}

// value reads an option's value: a quoted string or a word.
func (t *jaasTokens) value(key string) (string, error) {
	t.space()
	if t.eof() || t.peek() != '"' {
		return t.word("value of " + key)
	}
	t.i++
	var b strings.Builder
	for !t.eof() {
		c := t.peek()
		t.i++
		switch {
		case c == '"':
			return b.String(), nil
		case c == '\\' && !t.eof():
			b.WriteByte(t.peek())
			t.i++
		default:
			b.WriteByte(c)
		}
	}
	return "", fmt.Errorf("sasl.jaas.config: unterminated quoted value of %s", key)
}
