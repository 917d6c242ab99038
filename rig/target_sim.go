package rig

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/sim"
	"github.com/gpiohil/gpiohil/fixtures"
	"github.com/gpiohil/gpiohil/rig/harness"
)

// simTarget is the sim tier's target: the simulated controller in this
// process, wired to a virtual MCU by the in-process harness (with the
// fixture's delay and faults).
type simTarget struct {
	ctrl    *sim.Controller
	outputs []atomic.Int64 // by pin: when the controller's output last changed, on its clock
	fw      *clx.Framework
	harness *harness.Harness
	fx      *fixtures.Fixture
}

func openSimTarget(ctx context.Context, fx *fixtures.Fixture, onError func(error)) (target, error) {
	ctrl, err := sim.New(fx.Target.Sim)
	if err != nil {
		return nil, err
	}
	fw, err := clx.New(ctx, ctrl, clx.Options{OnError: onError})
	if err != nil {
		return nil, err
	}
	t := &simTarget{ctrl: ctrl, fw: fw, fx: fx, outputs: make([]atomic.Int64, ctrl.Info().TotalPins)}
	// Registered before the harness's observer (attach), so an output's
	// time is recorded before the MCU can see the change.
	ctrl.OnPadChange(t.padChanged)
	return t, nil
}

func (t *simTarget) padChanged(e sim.PadEvent) {
	if e.Output && e.Pin < len(t.outputs) {
		t.outputs[e.Pin].Store(int64(e.Time))
	}
}

func (t *simTarget) framework() *clx.Framework { return t.fw }

func (t *simTarget) pin(l fixtures.Line) (int, error) {
	if l.Name != "" {
		return 0, fmt.Errorf("the sim controller has no line named %q", l.Name)
	}
	return l.Offset, nil
}

func (t *simTarget) attach(m harness.MCU, wires []Wire) error {
	t.harness = harness.New(m, t.ctrl)
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
func (t *simTarget) sync(ctx context.Context) error {
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

// clock is exact: the controller's clock is this process's monotonic
// clock.
func (t *simTarget) clock() (ControllerClock, bool) {
	epoch := t.ctrl.Epoch()
	return ControllerClock{ToHost: func(d time.Duration) time.Time { return epoch.Add(d) }, Name: "sim controller clock (this process's)"}, true
}

// resolution: the in-process harness carries every change as it happens
// (stamped with the time it happened).
func (t *simTarget) resolution() time.Duration { return 0 }

func (t *simTarget) outputTime(pin int) (time.Duration, bool) {
	if pin < 0 || pin >= len(t.outputs) {
		return 0, false
	}
	v := t.outputs[pin].Load()
	return time.Duration(v), v != 0
}

func (t *simTarget) lostEvents() uint64 { return 0 }

func (t *simTarget) mergedEdges() uint64 { return t.ctrl.MergedEdges() }

func (t *simTarget) lostEdges() uint64 { return 0 }

func (t *simTarget) edgeCountsInexact() string { return "" }

func (t *simTarget) close() {
	if t.harness != nil {
		t.harness.Close()
	}
}
