package rig

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/fixtures"
	"github.com/gpiohil/gpiohil/rig/mcu"
)

// Wire is a fixture wire resolved to pins.
type Wire struct {
	Name      string
	MCUPin    int
	TargetPin int // controller-relative pin of the target line
	Line      fixtures.Line
}

// Pair is a probe pair resolved to wires.
type Pair struct {
	Name     string
	Stimulus Wire
	Ack      Wire
}

// Rig is an assembled rig: the target's controller under clx, the
// companion MCU's client, and the wires between them.
type Rig struct {
	Fixture   *fixtures.Fixture
	Framework *clx.Framework
	// MCU is the companion MCU's client. Specs and benchmarks use the
	// rig's wire-level operations (Drive, Release, ReadMCU, Probe, …);
	// the client is there for what they do not cover (link statistics,
	// the identify answer).
	MCU   *mcu.Client
	Wires []Wire
	Pairs []Pair

	target target
	mcu    mcuSide

	errMu          sync.Mutex // protects driverErr, driverErrTotal
	driverErr      []error
	driverErrTotal int
}

// maxDriverErrors bounds the errors a rig keeps from its target's driver.
const maxDriverErrors = 100

// driverError keeps an error the target's driver or clx found outside any
// call (lost kernel events, controller-driver errors during dispatch).
func (r *Rig) driverError(err error) {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	r.driverErrTotal++
	if len(r.driverErr) < maxDriverErrors {
		r.driverErr = append(r.driverErr, err)
	}
}

// DriverErrors returns the errors the target's driver and clx reported
// outside any call (the first maxDriverErrors of them), and how many
// were reported in all.
func (r *Rig) DriverErrors() (kept []error, total int) {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	return append([]error(nil), r.driverErr...), r.driverErrTotal
}

// LostEvents returns the edge events the target's controller lost (kernel
// events on cdev; 0 where nothing can be lost).
func (r *Rig) LostEvents() uint64 { return r.target.lostEvents() }

// MergedEdges returns the qualifying edges the target's controller merged
// into a delivery already latched (its status not yet cleared, or
// masked): each such edge reached the client as part of another delivery.
func (r *Rig) MergedEdges() uint64 { return r.target.mergedEdges() }

// LostEdges returns the edges among the controller's lost events that
// their pin's polarity qualifies: deliveries the client never had (0
// where nothing can be lost).
func (r *Rig) LostEdges() uint64 { return r.target.lostEdges() }

// BusStats reports the transactions a bus-attached target's bus carried
// so far and the time they held it; ok is false for a target without a
// modelled bus.
func (r *Rig) BusStats() (transactions uint64, busy time.Duration, ok bool) {
	b, ok := r.target.(interface {
		busStats() (uint64, time.Duration)
	})
	if !ok {
		return 0, 0, false
	}
	transactions, busy = b.busStats()
	return transactions, busy, true
}

// EdgeCountsInexact says why the target's merged and lost counts cannot
// add up to the edges sent at fast spacings, or "" when they do.
func (r *Rig) EdgeCountsInexact() string { return r.target.edgeCountsInexact() }

// Open assembles the rig a fixture describes. On error everything opened
// so far is closed again.
func Open(ctx context.Context, fx *fixtures.Fixture) (_ *Rig, err error) {
	r := &Rig{Fixture: fx}
	defer func() {
		if err != nil {
			r.Close()
			err = fmt.Errorf("rig %s: %w", fx.Name, err)
		}
	}()
	openTarget, ok := targetKinds[fx.Target.Controller]
	if !ok {
		return nil, fmt.Errorf("%w: unknown controller %q", ErrUnsupported, fx.Target.Controller)
	}
	if r.target, err = openTarget(ctx, fx, r.driverError); err != nil {
		return nil, err
	}
	r.Framework = r.target.framework()
	if err = r.resolveWires(); err != nil {
		return nil, err
	}
	openMCU, ok := mcuKinds[fx.MCU.Kind]
	if !ok {
		return nil, fmt.Errorf("%w: unknown MCU kind %q", ErrUnsupported, fx.MCU.Kind)
	}
	if r.mcu, err = openMCU(ctx, fx, r.target, r.Wires); err != nil {
		return nil, err
	}
	r.MCU = r.mcu.client()
	id := r.MCU.Identify()
	for _, w := range r.Wires {
		if w.MCUPin >= int(id.Pins) {
			return nil, fmt.Errorf("wire %s uses MCU pin %d, but %s has %d pins", w.Name, w.MCUPin, id.BoardName(), id.Pins)
		}
	}
	if err = r.MCU.Reset(ctx); err != nil {
		return nil, fmt.Errorf("reset the MCU: %w", err)
	}
	return r, nil
}

// resolveWires resolves the fixture's wires to pins and its probe pairs
// to wires.
func (r *Rig) resolveWires() error {
	total := r.Framework.Info().TotalPins
	for _, w := range r.Fixture.Wires {
		pin, err := r.target.pin(w.Line)
		if err != nil {
			return fmt.Errorf("wire %s: %w", w.Name, err)
		}
		if pin >= total {
			return fmt.Errorf("wire %s: line %s is beyond the target's %d lines", w.Name, w.Line, total)
		}
		r.Wires = append(r.Wires, Wire{Name: w.Name, MCUPin: w.MCUPin, TargetPin: pin, Line: w.Line})
	}
	for _, p := range r.Fixture.Probes {
		s, _ := r.Wire(p.Stimulus) // the loader checked both names
		a, _ := r.Wire(p.Ack)
		r.Pairs = append(r.Pairs, Pair{Name: p.Name, Stimulus: s, Ack: a})
	}
	return nil
}

// Wire returns a wire by name.
func (r *Rig) Wire(name string) (Wire, bool) {
	for _, w := range r.Wires {
		if w.Name == name {
			return w, true
		}
	}
	return Wire{}, false
}

// Pair returns a probe pair by name.
func (r *Rig) Pair(name string) (Pair, bool) {
	for _, p := range r.Pairs {
		if p.Name == name {
			return p, true
		}
	}
	return Pair{}, false
}

// Close leaves every pin safe — MCU pins hi-z, target lines released —
// and tears the rig down. It does every step and returns their errors
// joined.
func (r *Rig) Close() error {
	var errs []error
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if r.MCU != nil && r.MCU.Err() == nil {
		if err := r.MCU.Reset(ctx); err != nil {
			errs = append(errs, fmt.Errorf("reset the MCU: %w", err))
		}
	}
	if r.mcu != nil {
		if err := r.mcu.close(); err != nil {
			errs = append(errs, err)
		}
	}
	if r.Framework != nil {
		if err := r.Framework.Close(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if r.target != nil {
		r.target.close()
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("rig %s: close: %w", r.Fixture.Name, err)
	}
	return nil
}

// MCUClock maps the MCU's ticks to host time, and names how: exactly for
// the in-process virtual MCU, estimated from pings for a serial one.
func (r *Rig) MCUClock(ctx context.Context) (mcu.ClockModel, string, error) {
	return r.mcu.clock(ctx)
}

// MCUTimeUnbounded says why the MCU's edge times cannot bound the
// target's real-time behaviour (an emulated MCU), or "" when they can.
func (r *Rig) MCUTimeUnbounded() string { return r.mcu.unboundedTime() }

// ControllerClock maps the target controller's event timestamps to host
// time, or reports false when the controller has none.
func (r *Rig) ControllerClock() (ControllerClock, bool) {
	return r.target.clock()
}

// WireResolution is how coarsely the wires carry a target's output to the
// MCU: 0 where each change is carried as it happens (in-process wires,
// copper), the poll period of a polling harness (gpio-sim on the QEMU
// tier), which quantises every ack edge's capture time.
func (r *Rig) WireResolution() time.Duration { return r.target.resolution() }
