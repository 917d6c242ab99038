package specs

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/gpiohil/gpiohil/clx"
)

// The summary counts the errors specs provoke apart from the rest, and
// says when the rig kept only the first of them.
func TestWriteDriverErrors(t *testing.T) {
	injected := errors.New("sim: injected")
	storm := &clx.StormError{Pin: 0, Bank: 0, Count: 1001}
	other := errors.New("cdev: 3 events lost")
	for _, tc := range []struct {
		name string
		res  Results
		want []string
		not  []string
	}{
		{"classified", Results{DriverErrors: []error{storm, injected, other}, DriverErrorTotal: 3, FaultsProvoked: []error{injected}},
			[]string{"Interrupt storms detected and stopped: 1", "faults reported outside any call: 1", "reported 1 errors outside any call", other.Error()},
			[]string{"in all"}},
		{"more than kept", Results{DriverErrors: []error{storm}, DriverErrorTotal: 250},
			[]string{"reported 250 errors outside any call in all; the counts here are of the first 1"}, nil},
		{"silent", Results{}, nil, []string{"errors", "storms"}},
	} {
		var b bytes.Buffer
		tc.res.writeDriverErrors(&b)
		for _, w := range tc.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s: the summary lacks %q:\n%s", tc.name, w, b.String())
			}
		}
		for _, w := range tc.not {
			if strings.Contains(b.String(), w) {
				t.Errorf("%s: the summary says %q:\n%s", tc.name, w, b.String())
			}
		}
	}
}
