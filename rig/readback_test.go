package rig

import (
	"strings"
	"testing"

	"github.com/gpiohil/gpiohil/fixtures"
)

// readback names the MCU pin that did not read what it drove, in either
// walk, and stays quiet for a pin that followed its drive.
func TestReadbackNamesAnUndrivenPin(t *testing.T) {
	// Wire 1 of 3: walking-one drove it 0,1,0 and walking-zero 1,0,1.
	if s := readback(1, []bool{false, true, false}, []bool{true, false, true}); s != "" {
		t.Errorf("a pin that read its drive: %q", s)
	}
	s := readback(1, []bool{false, false, false}, []bool{false, false, false})
	if !strings.Contains(s, "read 0 while it drove 1") {
		t.Errorf("a pin stuck low: %q", s)
	}
	v := Verdict{Fault: fixtures.StuckAt0, Readback: s}
	if v.OK() || !strings.HasPrefix(v.String(), "stuck-at-0 (the MCU's own pin read 0") {
		t.Errorf("verdict %q, OK %v", v, v.OK())
	}
}
