package rig

import (
	"context"
	"fmt"
	"time"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/sim"
	"github.com/gpiohil/gpiohil/fixtures"
)

// simTarget is the sim tier's target: the simulated controller in this
// process, wired to a virtual MCU by the in-process harness (with the
// fixture's delay and faults).
type simTarget struct {
	padTarget
	ctrl    *sim.Controller
	fw      *clx.Framework
	onError func(error)
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
	return &simTarget{padTarget: newPadTarget(ctrl, ctrl.Info().TotalPins, fx), ctrl: ctrl, fw: fw, onError: onError}, nil
}

func (t *simTarget) framework() *clx.Framework { return t.fw }

func (t *simTarget) pin(l fixtures.Line) (int, error) {
	if l.Name != "" {
		return 0, fmt.Errorf("the sim controller has no line named %q", l.Name)
	}
	return l.Offset, nil
}

// clock is exact: the controller's clock is this process's monotonic
// clock.
func (t *simTarget) clock() (ControllerClock, bool) {
	epoch := t.ctrl.Epoch()
	return ControllerClock{ToHost: func(d time.Duration) time.Time { return epoch.Add(d) }, Name: "sim controller clock (this process's)"}, true
}

func (t *simTarget) lostEvents() uint64 { return 0 }

func (t *simTarget) mergedEdges() uint64 { return t.ctrl.MergedEdges() }

func (t *simTarget) lostEdges() uint64 { return 0 }

func (t *simTarget) edgeCountsInexact() string { return "" }

// isrHoldsWires: a memory-mapped sim controller raises its interrupt, and
// clx dispatches it, in the goroutine that changed a pad: the harness
// carrying an MCU level. A bus-attached one dispatches in clx's worker.
func (t *simTarget) isrHoldsWires() string {
	if t.ctrl.Info().Flags&clx.MemoryMapped == 0 {
		return ""
	}
	return "the memory-mapped sim controller's interrupts are dispatched in the goroutine that carries the MCU's level to its pad: no level crosses the wires while an ISR runs"
}

// removeController removes the simulated controller (sim.Controller.Remove).
func (t *simTarget) removeController(context.Context) error {
	t.ctrl.Remove()
	return nil
}

// removalAnnounced: the removed controller raises its interrupt, and
// the query that follows fails with sim.ErrRemoved.
func (t *simTarget) removalAnnounced() bool { return true }

// reinsertController reinserts it and registers it under a new framework.
func (t *simTarget) reinsertController(ctx context.Context) error {
	t.ctrl.Reinsert()
	fw, err := clx.New(ctx, t.ctrl, clx.Options{OnError: t.onError})
	if err != nil {
		return err
	}
	t.fw = fw
	return nil
}

// injectFault arms the simulated controller (sim.Controller.InjectFault).
func (t *simTarget) injectFault(method string, mode sim.FaultMode) error {
	return t.ctrl.InjectFault(method, mode)
}
