package rig

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/gpiohil/gpiohil/controllers/sim"
	"github.com/gpiohil/gpiohil/fixtures"
	"github.com/gpiohil/gpiohil/rig/harness"
)

// padTarget is what the in-process targets (the sim controller, the
// MCP23017 model) share: pads wired to the MCU by the in-process harness,
// with the fixture's delay and faults, and the time each output last
// changed.
type padTarget struct {
	pads    harness.Pads
	outputs []atomic.Int64 // by pin: when the output last changed, on the pads' clock
	harness *harness.Harness
	fx      *fixtures.Fixture
}

// newPadTarget starts recording output changes; it registers before the
// harness's observer (attach), so an output's time is recorded before the
// MCU can see the change.
func newPadTarget(pads harness.Pads, pins int, fx *fixtures.Fixture) padTarget {
	t := padTarget{pads: pads, outputs: make([]atomic.Int64, pins), fx: fx}
	outputs := t.outputs
	pads.OnPadChange(func(e sim.PadEvent) {
		if e.Output && e.Pin < len(outputs) {
			outputs[e.Pin].Store(int64(e.Time))
		}
	})
	return t
}

func (t *padTarget) attach(m harness.MCU, wires []Wire) error {
	t.harness = harness.New(m, t.pads)
	for _, w := range wires {
		if err := t.harness.Connect(harness.Wire{Name: w.Name, MCUPin: w.MCUPin, TargetPin: w.TargetPin, Delay: t.fx.Harness.Delay}); err != nil {
			return err
		}
	}
	for _, f := range t.fx.Harness.Faults {
		if err := t.harness.Inject(f); err != nil {
			return err
		}
	}
	return nil
}

// sync waits out the harness's delay, twice (there and back).
func (t *padTarget) sync(ctx context.Context) error {
	d := t.fx.Harness.Settle()
	if d == 0 {
		return nil
	}
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// resolution: the in-process harness carries every change as it happens
// (stamped with the time it happened).
func (t *padTarget) resolution() time.Duration { return 0 }

func (t *padTarget) outputTime(pin int) (time.Duration, bool) {
	if pin < 0 || pin >= len(t.outputs) {
		return 0, false
	}
	v := t.outputs[pin].Load()
	return time.Duration(v), v != 0
}

func (t *padTarget) close() {
	if t.harness != nil {
		t.harness.Close()
	}
}
