package rig_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gpiohil/gpiohil/controllers/sim"
	"github.com/gpiohil/gpiohil/fixtures"
	"github.com/gpiohil/gpiohil/rig"
)

// The sim target's driver fails on demand; the MCP23017 target's cannot,
// and InjectFault says so with ErrUnsupported naming the target. A method
// the sim has not is the sim's invalid argument, named with the rig.
func TestInjectFaultWhereTheDriverCanFail(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, c := range []struct {
		fixture string
		can     bool
	}{{"sim", true}, {"sim-mcp23017", false}} {
		fx, err := fixtures.Load(c.fixture)
		if err != nil {
			t.Fatal(err)
		}
		r, err := rig.Open(ctx, fx)
		if err != nil {
			t.Fatal(err)
		}
		why := r.FaultsUnsupported()
		err = r.InjectFault("MaskInterrupts", sim.FaultError)
		switch {
		case c.can && (why != "" || err != nil):
			t.Errorf("%s: %q, %v", c.fixture, why, err)
		case !c.can && (!errors.Is(err, rig.ErrUnsupported) || !strings.Contains(err.Error(), why) || !strings.Contains(why, "mcp23017")):
			t.Errorf("%s: %q, %v", c.fixture, why, err)
		}
		if c.can {
			if err := r.InjectFault("NoSuchMethod", sim.FaultError); err == nil || !strings.Contains(err.Error(), "rig sim") {
				t.Errorf("an unknown method: %v", err)
			}
			if err := r.InjectFault("MaskInterrupts", sim.FaultNone); err != nil {
				t.Error(err)
			}
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
