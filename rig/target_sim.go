package rig

import (
	"context"
	"fmt"
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
	return &simTarget{ctrl: ctrl, fw: fw, fx: fx}, nil
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

func (t *simTarget) clock() (func(time.Duration) time.Time, string, bool) {
	epoch := t.ctrl.Epoch()
	return func(d time.Duration) time.Time { return epoch.Add(d) }, "sim controller clock", true
}

func (t *simTarget) lostEvents() uint64 { return 0 }

func (t *simTarget) close() {
	if t.harness != nil {
		t.harness.Close()
	}
}
