package auth

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"regexp"
	"strings"
)

// PrincipalRules is ssl.principal.mapping.rules: how a client
// certificate's subject becomes a principal name (Kafka's
// SslPrincipalMapper). Rules are tried in order; RULE:pattern/replacement/
// applies when pattern matches the whole distinguished name, with an
// optional L or U flag lower- or upper-casing the result; DEFAULT keeps
// the name as it is.
type PrincipalRules struct {
	rules []principalRule
}

type principalRule struct {
	dflt        bool
	re          *regexp.Regexp
	replacement string
	flag        byte // 0, 'L' or 'U'
	text        string
}

// ParsePrincipalRules parses the config value ("DEFAULT" when empty).
func ParsePrincipalRules(s string) (PrincipalRules, error) {
	var pr PrincipalRules
	rest := strings.TrimSpace(s)
	if rest == "" {
		rest = "DEFAULT"
	}
	for rest != "" {
		switch {
		case strings.HasPrefix(rest, "DEFAULT"):
			pr.rules = append(pr.rules, principalRule{dflt: true, text: "DEFAULT"})
			rest = rest[len("DEFAULT"):]
		case strings.HasPrefix(rest, "RULE:"):
			r, n, err := parseRule(rest)
			if err != nil {
				return PrincipalRules{}, err
			}
			pr.rules = append(pr.rules, r)
			rest = rest[n:]
		default:
			return PrincipalRules{}, fmt.Errorf("ssl.principal.mapping.rules: invalid rule at %q", rest)
		}
		rest = strings.TrimSpace(rest)
		if rest != "" {
			if rest[0] != ',' {
				return PrincipalRules{}, fmt.Errorf("ssl.principal.mapping.rules: expected ',' at %q", rest)
			}
			rest = strings.TrimSpace(rest[1:])
		}
	}
	return pr, nil
}

// parseRule reads RULE:pattern/replacement/[LU] from the start of s and
// returns how many bytes it took. A backslash escapes the next character
// of the pattern or replacement.
func parseRule(s string) (principalRule, int, error) {
	i := len("RULE:")
	part := func() (string, error) {
		var b strings.Builder
		for i < len(s) {
			c := s[i]
			i++
			switch {
			case c == '/':
				return b.String(), nil
			case c == '\\' && i < len(s) && s[i] == '/':
				b.WriteByte('/')
				i++
			default:
				b.WriteByte(c)
			}
		}
		return "", fmt.Errorf("ssl.principal.mapping.rules: unterminated rule %q", s)
	}
	pattern, err := part()
	if err != nil {
		return principalRule{}, 0, err
	}
	replacement, err := part()
	if err != nil {
		return principalRule{}, 0, err
	}
	r := principalRule{replacement: javaReplacement(replacement), text: s[:i]}
	if i < len(s) && (s[i] == 'L' || s[i] == 'U') {
		r.flag = s[i]
		i++
		r.text = s[:i]
	}
	if r.re, err = regexp.Compile("^(?:" + pattern + ")$"); err != nil {
		return principalRule{}, 0, fmt.Errorf("ssl.principal.mapping.rules: pattern %q: %w", pattern, err)
	}
	return r, i, nil
}

// javaReplacement turns Java's $1 group references into Go's ${1}, so
// that "$1x" does not read as a group named "1x".
var javaGroup = regexp.MustCompile(`\$(\d+)`)

func javaReplacement(s string) string { return javaGroup.ReplaceAllString(s, `$${$1}`) }

// Map applies the rules to a distinguished name.
func (pr PrincipalRules) Map(dn string) (string, error) {
	for _, r := range pr.rules {
		if r.dflt {
			return dn, nil
		}
		if m := r.re.FindStringSubmatchIndex(dn); m != nil {
			out := string(r.re.ExpandString(nil, r.replacement, dn, m))
			switch r.flag {
			case 'L':
				out = strings.ToLower(out)
			case 'U':
				out = strings.ToUpper(out)
			}
			return out, nil
		}
	}
	return "", fmt.Errorf("no ssl.principal.mapping.rules rule applies to %q", dn)
}

// CertPrincipal is the principal of a client certificate: "User:" and its
// subject's distinguished name in RFC 2253 form (most specific attribute
// first, as Java's X500Principal.getName() writes it), mapped by rules.
func (pr PrincipalRules) CertPrincipal(cert *x509.Certificate) (string, error) {
	var seq pkix.RDNSequence
	if _, err := asn1.Unmarshal(cert.RawSubject, &seq); err != nil {
		return "", fmt.Errorf("client certificate subject: %w", err)
	}
	name, err := pr.Map(seq.String())
	if err != nil {
		return "", err
	}
	return "User:" + name, nil
}
