package consume

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// parseOffset reads --offset: start, end, an offset N, -N (N before the
// end), +N (N after the start) or @TIME (RFC 3339, or milliseconds since
// the epoch).
func parseOffset(s string) (kgo.Offset, error) {
	o := kgo.NewOffset()
	switch {
	case s == "start" || s == "beginning" || s == "oldest":
		return o.AtStart(), nil
	case s == "end" || s == "newest":
		return o.AtEnd(), nil
	case strings.HasPrefix(s, "@"):
		ms, err := parseMillis(s)
		return o.AfterMilli(ms), err
	case strings.HasPrefix(s, "-"):
		n, err := strconv.ParseInt(s[1:], 10, 64)
		if err != nil || n < 0 {
			return o, fmt.Errorf("--offset %q: want -N", s)
		}
		return o.AtEnd().Relative(-n), nil
	case strings.HasPrefix(s, "+"):
		n, err := strconv.ParseInt(s[1:], 10, 64)
		if err != nil || n < 0 {
			return o, fmt.Errorf("--offset %q: want +N", s)
		}
		return o.AtStart().Relative(n), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return o, fmt.Errorf("--offset %q: want start, end, N, -N, +N or @TIME", s)
	}
	return o.At(n), nil
}

// parseMillis reads "@<ms since epoch>" or "@<RFC 3339 time>".
func parseMillis(s string) (int64, error) {
	ts := strings.TrimPrefix(s, "@")
	if ms, err := strconv.ParseInt(ts, 10, 64); err == nil {
		return ms, nil
	}
	t, err := time.Parse(time.RFC3339, ts)
	if err != nil {
		return 0, fmt.Errorf("--offset %q: want @<ms since epoch> or @<RFC 3339 time>", s)
	}
	return t.UnixMilli(), nil
}
