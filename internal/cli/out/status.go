package out

import (
	"fmt"
	"io"
)

// Status is the outcome of an operation on one named thing (a topic, a
// group); Error is empty on success.
type Status struct {
	Name  string `json:"name"`
	Error string `json:"error,omitempty"`
}

// PrintStatuses prints one line per thing, "OK" (or okText) or its error,
// and returns an error naming how many failed, e.g. "1 of 3 topics not
// deleted", so the command exits non-zero.
func (f Format) PrintStatuses(w io.Writer, noun, failure, okText string, rows []Status) error {
	if rows == nil {
		rows = []Status{}
	}
	failed := 0
	for _, r := range rows {
		if r.Error != "" {
			failed++
		}
	}
	err := f.Print(w, rows, func(w io.Writer) error {
		t := make([][]string, 0, len(rows))
		for _, r := range rows {
			status := okText
			if r.Error != "" {
				status = r.Error
			}
			t = append(t, []string{r.Name, status})
		}
		return Table(w, []string{noun, "status"}, t)
	})
	if err == nil && failed > 0 {
		err = fmt.Errorf("%d of %d %ss %s", failed, len(rows), noun, failure)
	}
	return err
}
