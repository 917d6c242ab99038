package rig

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/sim"
	"github.com/gpiohil/gpiohil/fixtures"
	"github.com/gpiohil/gpiohil/rig/harness"
	"github.com/gpiohil/gpiohil/rig/mcu"
	"github.com/gpiohil/gpiohil/rig/virtual"
)

// ErrUnsupported means this build cannot assemble the fixture's tier.
var ErrUnsupported = errors.New("rig: not supported")

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

// Rig is an assembled rig.
type Rig struct {
	Fixture   *fixtures.Fixture
	Framework *clx.Framework
	MCU       *mcu.Client
	// Sim and Harness are set on the sim tier only.
	Sim     *sim.Controller
	Harness *harness.Harness
	Wires   []Wire
	Pairs   []Pair

	virtual *virtual.MCU
	lock    *Lock
	cdev    *cdevTarget

	errMu     sync.Mutex // protects driverErrs
	driverErr []error
}

// driverError keeps an error the target's driver or clx found outside any
// call (lost kernel events, controller-driver errors during dispatch).
func (r *Rig) driverError(err error) {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	if len(r.driverErr) < 100 {
		r.driverErr = append(r.driverErr, err)
	}
}

// DriverErrors returns the errors the target's driver and clx reported
// outside any call.
func (r *Rig) DriverErrors() []error {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	return append([]error(nil), r.driverErr...)
}

// LostEvents returns the kernel edge events the cdev controller lost (0
// on other targets).
func (r *Rig) LostEvents() uint64 { return r.cdevLost() }

// Open assembles the rig a fixture describes. On error everything opened
// so far is closed again.
func Open(ctx context.Context, fx *fixtures.Fixture) (_ *Rig, err error) {
	r := &Rig{Fixture: fx}
	defer func() {
		if err != nil {
			r.Close()
		}
	}()
	switch fx.Target.Controller {
	case "sim":
		r.Sim, err = sim.New(fx.Target.Sim)
		if err != nil {
			return nil, fmt.Errorf("rig %s: %w", fx.Name, err)
		}
		if r.Framework, err = clx.New(ctx, r.Sim, clx.Options{OnError: r.driverError}); err != nil {
			return nil, fmt.Errorf("rig %s: %w", fx.Name, err)
		}
	case "cdev":
		if err = r.openCdev(ctx, fx); err != nil {
			return nil, fmt.Errorf("rig %s: %w", fx.Name, err)
		}
	default:
		return nil, fmt.Errorf("%w: rig %s: unknown controller %q", ErrUnsupported, fx.Name, fx.Target.Controller)
	}
	for _, w := range fx.Wires {
		pin := w.Line.Offset
		if r.Sim == nil {
			if pin, err = r.cdevLine(w.Line); err != nil {
				return nil, fmt.Errorf("rig %s: wire %s: %w", fx.Name, w.Name, err)
			}
		} else if w.Line.Name != "" {
			return nil, fmt.Errorf("rig %s: wire %s: the sim controller has no line named %q", fx.Name, w.Name, w.Line.Name)
		}
		if pin >= r.Framework.Info().TotalPins {
			return nil, fmt.Errorf("rig %s: wire %s: line %s is beyond the target's %d lines", fx.Name, w.Name, w.Line, r.Framework.Info().TotalPins)
		}
		r.Wires = append(r.Wires, Wire{Name: w.Name, MCUPin: w.MCUPin, TargetPin: pin, Line: w.Line})
	}
	for _, p := range fx.Probes {
		s, _ := r.Wire(p.Stimulus)
		a, _ := r.Wire(p.Ack)
		r.Pairs = append(r.Pairs, Pair{Name: p.Name, Stimulus: s, Ack: a})
	}

	path := ""
	switch fx.MCU.Kind {
	case "virtual":
		if r.virtual, err = virtual.New(virtual.Config{Name: "virtual", Pins: fx.MCU.Pins}); err != nil {
			return nil, fmt.Errorf("rig %s: %w", fx.Name, err)
		}
		if r.Sim != nil {
			r.Harness = harness.New(r.virtual, r.Sim)
			for _, w := range r.Wires {
				if err = r.Harness.Connect(harness.Wire{Name: w.Name, MCUPin: w.MCUPin, TargetPin: w.TargetPin, Delay: fx.Harness.Delay}); err != nil {
					return nil, fmt.Errorf("rig %s: %w", fx.Name, err)
				}
			}
			for _, f := range fx.Harness.Faults {
				kind, _ := harness.ParseFault(f.Kind)
				if err = r.Harness.Inject(f.Wire, harness.Fault{Kind: kind, With: f.With}); err != nil {
					return nil, fmt.Errorf("rig %s: %w", fx.Name, err)
				}
			}
		} else if err = r.attachVirtualCdev(r.virtual); err != nil {
			return nil, fmt.Errorf("rig %s: %w", fx.Name, err)
		}
		if path, err = r.virtual.Start(context.Background()); err != nil {
			return nil, fmt.Errorf("rig %s: %w", fx.Name, err)
		}
	case "serial":
		path = fx.MCU.Port
		if path == "" {
			if path, err = mcu.FindPort(fx.MCU.USB.VID, fx.MCU.USB.PID, fx.MCU.USB.Serial); err != nil {
				return nil, fmt.Errorf("rig %s: %w", fx.Name, err)
			}
		}
		if r.lock, err = Acquire(path, "gpiohil rig "+fx.Name); err != nil {
			return nil, err
		}
	}
	if r.MCU, err = mcu.Open(ctx, path, mcu.Options{Baud: fx.MCU.Baud}); err != nil {
		return nil, fmt.Errorf("rig %s: %w", fx.Name, err)
	}
	id := r.MCU.Identify()
	for _, w := range r.Wires {
		if w.MCUPin >= int(id.Pins) {
			return nil, fmt.Errorf("rig %s: wire %s uses MCU pin %d, but %s has %d pins", fx.Name, w.Name, w.MCUPin, id.BoardName(), id.Pins)
		}
	}
	if err = r.MCU.Reset(ctx); err != nil {
		return nil, fmt.Errorf("rig %s: reset the MCU: %w", fx.Name, err)
	}
	return r, nil
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

// Tier describes the rig in a few words, for reports.
func (r *Rig) Tier() string {
	return r.Fixture.Tier + " (" + r.Fixture.Target.Controller + " controller, " + r.Fixture.MCU.Kind + " MCU)"
}

// Close leaves every pin safe — MCU pins hi-z, target lines released —
// and tears the rig down. It returns the first error but does every step.
func (r *Rig) Close() error {
	var errs []error
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if r.MCU != nil {
		if r.MCU.Err() == nil {
			if err := r.MCU.Reset(ctx); err != nil {
				errs = append(errs, fmt.Errorf("reset the MCU: %w", err))
			}
		}
		r.MCU.Close()
	}
	if r.Framework != nil {
		if err := r.Framework.Close(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if r.Harness != nil {
		r.Harness.Close()
	}
	r.closeCdev()
	if r.virtual != nil {
		r.virtual.Close()
	}
	if err := r.lock.Release(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Error()
		}
		return fmt.Errorf("rig %s: close: %s: %w", r.Fixture.Name, strings.Join(msgs, "; "), errs[0])
	}
	return nil
}

// MCUClock maps the MCU's ticks to host time. For the in-process virtual
// MCU the mapping is exact (its tick counter is this process's monotonic
// clock); for a serial MCU it is estimated from pings (mcu.AlignClock),
// with the uncertainty the model states.
func (r *Rig) MCUClock(ctx context.Context) (mcu.ClockModel, string, error) {
	if r.virtual != nil {
		return mcu.ClockModel{TickHz: r.MCU.Identify().TickHz, RefHost: r.virtual.Epoch()}, "exact (virtual MCU in this process)", nil
	}
	m, err := r.MCU.AlignClock(ctx, 64, 10*time.Millisecond)
	return m, "min-RTT ping alignment", err
}

// ControllerClock maps the target controller's event timestamps to host
// time, or reports false when the controller has none.
func (r *Rig) ControllerClock() (func(time.Duration) time.Time, string, bool) {
	if r.Sim != nil {
		epoch := r.Sim.Epoch()
		return func(d time.Duration) time.Time { return epoch.Add(d) }, "sim controller clock", true
	}
	return r.cdevClock()
}
