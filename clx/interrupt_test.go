package clx_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/sim"
)

// Exactly one delivery per qualifying edge, none on the other edge, with
// the level the pin moved to.
func TestEdgeDeliveries(t *testing.T) {
	for _, sc := range simConfigs {
		for _, pol := range []clx.Polarity{clx.ActiveHigh, clx.ActiveLow, clx.ActiveBoth} {
			t.Run(sc.name+"/"+pol.String(), func(t *testing.T) {
				r := newSimRig(t, sc.name, sc.cfg, clx.Options{})
				const pin, edges = 5, 20
				// Start at the level that makes the first emulated
				// active-both interrupt (asserted low) not fire.
				r.drive(pin, clx.High)
				rec := &recorder{claim: true}
				r.connect(clx.InterruptConfig{Pin: pin, Mode: clx.Edge, Polarity: pol, ISR: rec.isr})
				var want []clx.Level
				level := clx.High
				for i := 0; i < edges; i++ {
					level = 1 - level
					r.drive(pin, level)
					if pol == clx.ActiveBoth || pol.Asserted() == level {
						want = append(want, level)
					}
				}
				if got := rec.levels(); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("delivered levels %v, want %v; errors %v", got, want, r.dispatchErrors())
				}
				// Driving the same level again is no edge.
				r.drive(pin, level)
				if rec.count() != len(want) {
					t.Fatalf("a non-edge delivered")
				}
			})
		}
	}
}

// The interrupt context carries the pin, the controller's timestamp and,
// under StampDispatch, the dispatch time.
func TestInterruptContext(t *testing.T) {
	r := newSimRig(t, "mmio", sim.Config{}, clx.Options{StampDispatch: true})
	rec := &recorder{claim: true}
	r.connect(clx.InterruptConfig{Pin: 9, Polarity: clx.ActiveBoth, ISR: rec.isr})
	before := r.sim.Now()
	wall := time.Now()
	r.drive(9, clx.High)
	after := r.sim.Now()
	if rec.count() != 1 {
		t.Fatalf("%d deliveries", rec.count())
	}
	ic := rec.got[0]
	if ic.Pin != 9 || !ic.HasLevel || ic.Level != clx.High {
		t.Fatalf("context %+v", ic)
	}
	if !ic.HasControllerTime || ic.ControllerTime < before || ic.ControllerTime > after {
		t.Fatalf("controller time %v not within [%v, %v]", ic.ControllerTime, before, after)
	}
	if ic.DispatchTime.Before(wall) || time.Since(ic.DispatchTime) > time.Minute {
		t.Fatalf("dispatch time %v, drive at %v", ic.DispatchTime, wall)
	}
}

// Without StampDispatch, no delivery carries a dispatch time.
func TestDispatchTimeOnlyWhenAsked(t *testing.T) {
	r := newSimRig(t, "mmio", sim.Config{}, clx.Options{})
	rec := &recorder{claim: true}
	r.connect(clx.InterruptConfig{Pin: 9, Polarity: clx.ActiveBoth, ISR: rec.isr})
	r.drive(9, clx.High)
	if rec.count() != 1 || !rec.got[0].DispatchTime.IsZero() {
		t.Fatalf("%d deliveries, first stamped %v", rec.count(), rec.got[0].DispatchTime)
	}
}

// A level interrupt refires while asserted until the ISR silences its
// source; a level interrupt does not fire while deasserted.
func TestLevelRefiresWhileAsserted(t *testing.T) {
	for _, sc := range simConfigs {
		for _, pol := range []clx.Polarity{clx.ActiveHigh, clx.ActiveLow} {
			t.Run(sc.name+"/"+pol.String(), func(t *testing.T) {
				r := newSimRig(t, sc.name, sc.cfg, clx.Options{})
				const pin = 4
				r.drive(pin, 1-pol.Asserted())
				var calls atomic.Int32
				r.connect(clx.InterruptConfig{Pin: pin, Mode: clx.LevelSensitive, Polarity: pol, ISR: func(ic clx.InterruptContext) bool {
					if calls.Add(1) == 3 {
						// Silence the source from inside the ISR.
						if err := r.sim.DrivePad(pin, 1-pol.Asserted()); err != nil {
							t.Error(err)
						}
					}
					return true
				}})
				if calls.Load() != 0 {
					t.Fatal("deasserted level delivered")
				}
				r.drive(pin, pol.Asserted())
				if calls.Load() != 3 {
					t.Fatalf("%d deliveries, want 3 (refire until silenced)", calls.Load())
				}
			})
		}
	}
}

// Decision: status that becomes active while masked is retained; on unmask
// an edge pin is delivered exactly once however many edges arrived, and a
// level pin only if still asserted. A client's mask is on/off.
func TestMaskRetainsStatus(t *testing.T) {
	for _, sc := range simConfigs {
		t.Run(sc.name+"/edge", func(t *testing.T) {
			r := newSimRig(t, sc.name, sc.cfg, clx.Options{})
			rec := &recorder{claim: true}
			c := r.connect(clx.InterruptConfig{Pin: 2, Polarity: clx.ActiveHigh, ISR: rec.isr})
			must(t, c.Mask(bg()))
			must(t, c.Mask(bg())) // on/off, not a counter
			for i := 0; i < 3; i++ {
				r.drive(2, clx.High)
				r.drive(2, clx.Low)
			}
			if rec.count() != 0 {
				t.Fatalf("masked pin delivered %d", rec.count())
			}
			must(t, c.Unmask(bg()))
			r.idle()
			if rec.count() != 1 {
				t.Fatalf("unmask delivered %d, want exactly 1", rec.count())
			}
			must(t, c.Unmask(bg()))
			must(t, c.Mask(bg()))
			must(t, c.Unmask(bg()))
			r.idle()
			if rec.count() != 1 {
				t.Fatalf("delivered twice: %d", rec.count())
			}
		})
		t.Run(sc.name+"/level", func(t *testing.T) {
			r := newSimRig(t, sc.name, sc.cfg, clx.Options{})
			var calls atomic.Int32
			c := r.connect(clx.InterruptConfig{Pin: 2, Mode: clx.LevelSensitive, Polarity: clx.ActiveHigh, ISR: func(clx.InterruptContext) bool {
				calls.Add(1)
				_ = r.sim.DrivePad(2, clx.Low) // the device deasserts when serviced
				return true
			}})
			must(t, c.Mask(bg()))
			r.drive(2, clx.High)
			r.drive(2, clx.Low)
			must(t, c.Unmask(bg()))
			r.idle()
			if calls.Load() != 0 {
				t.Fatalf("a level no longer asserted was delivered on unmask")
			}
			must(t, c.Mask(bg()))
			r.drive(2, clx.High)
			if calls.Load() != 0 {
				t.Fatalf("masked level delivered")
			}
			must(t, c.Unmask(bg()))
			r.idle()
			if calls.Load() != 1 {
				t.Fatalf("asserted level delivered %d times on unmask, want 1", calls.Load())
			}
		})
	}
}

// Disable discards: edges while disconnected are lost; enable clears
// stale status.
func TestDisableDropsAndEnableClears(t *testing.T) {
	for _, sc := range simConfigs {
		t.Run(sc.name, func(t *testing.T) {
			r := newSimRig(t, sc.name, sc.cfg, clx.Options{})
			rec := &recorder{claim: true}
			c := r.connect(clx.InterruptConfig{Pin: 7, Polarity: clx.ActiveHigh, ISR: rec.isr})
			must(t, c.Mask(bg()))
			r.drive(7, clx.High) // status latched while masked
			r.drive(7, clx.Low)
			must(t, c.Close())
			r.drive(7, clx.High) // while disabled
			r.drive(7, clx.Low)
			rec2 := &recorder{claim: true}
			r.connect(clx.InterruptConfig{Pin: 7, Polarity: clx.ActiveHigh, ISR: rec2.isr})
			if rec.count()+rec2.count() != 0 {
				t.Fatalf("stale status delivered: %d, %d", rec.count(), rec2.count())
			}
			r.drive(7, clx.High)
			if rec2.count() != 1 {
				t.Fatalf("after re-enable %d deliveries, want 1", rec2.count())
			}
			if err := c.Mask(bg()); !errors.Is(err, clx.ErrClosed) {
				t.Fatalf("mask of a closed connection: %v", err)
			}
		})
	}
}

// Shared connections: the first enables, later ones add ISRs, the last
// close disables. Edge pins call every ISR; level pins stop at the first
// that claims. Only identical mode and polarity share.
func TestSharedInterrupts(t *testing.T) {
	r := newSimRig(t, "mmio", sim.Config{}, clx.Options{})
	enabled := func() uint64 {
		v, err := r.sim.QueryEnabledInterrupts(bg(), 0)
		must(t, err)
		return v
	}
	a, b := &recorder{claim: true}, &recorder{claim: true}
	ca := r.connect(clx.InterruptConfig{Pin: 1, Shared: true, ISR: a.isr, Name: "a"})
	cb := r.connect(clx.InterruptConfig{Pin: 1, Shared: true, ISR: b.isr, Name: "b"})
	r.drive(1, clx.High)
	if a.count() != 1 || b.count() != 1 {
		t.Fatalf("edge: deliveries a=%d b=%d, want 1 each", a.count(), b.count())
	}
	_, err := r.f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 1, Shared: true, Polarity: clx.ActiveLow, ISR: a.isr})
	if !errors.Is(err, clx.ErrSharingViolation) {
		t.Fatalf("different polarity shared: %v", err)
	}
	_, err = r.f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 1, ISR: a.isr})
	var pe *clx.PinError
	if !errors.Is(err, clx.ErrSharingViolation) || !errors.As(err, &pe) || pe.Holder != "a" {
		t.Fatalf("exclusive on a shared pin: %v", err)
	}
	must(t, ca.Close())
	if enabled()&(1<<1) == 0 {
		t.Fatal("closing one of two shared connections disabled the pin")
	}
	must(t, cb.Close())
	if enabled()&(1<<1) != 0 {
		t.Fatal("the last close did not disable the pin")
	}

	l1, l2 := &recorder{claim: true}, &recorder{claim: true}
	l1.onCall = func(clx.InterruptContext) { _ = r.sim.DrivePad(3, clx.Low) }
	r.connect(clx.InterruptConfig{Pin: 3, Mode: clx.LevelSensitive, Shared: true, ISR: l1.isr})
	r.connect(clx.InterruptConfig{Pin: 3, Mode: clx.LevelSensitive, Shared: true, ISR: l2.isr})
	r.drive(3, clx.High)
	if l1.count() != 1 || l2.count() != 0 {
		t.Fatalf("level: first claims, deliveries %d/%d, want 1/0", l1.count(), l2.count())
	}
}

// A DPC runs after a claiming ISR, outside the interrupt context, and not
// after one that did not claim.
func TestDPC(t *testing.T) {
	for _, sc := range []struct {
		name string
		cfg  sim.Config
	}{{"mmio", sim.Config{}}, {"bus", sim.Config{BusAttached: true}}} {
		t.Run(sc.name, func(t *testing.T) {
			r := newSimRig(t, sc.name, sc.cfg, clx.Options{})
			var claim atomic.Bool
			var dpcs atomic.Int32
			var lastPin atomic.Int32
			r.connect(clx.InterruptConfig{Pin: 6, Polarity: clx.ActiveBoth,
				ISR: func(clx.InterruptContext) bool { return claim.Load() },
				DPC: func(ic clx.InterruptContext) { lastPin.Store(int32(ic.Pin)); dpcs.Add(1) }})
			r.drive(6, clx.High)
			if dpcs.Load() != 0 {
				t.Fatal("DPC after an unclaimed interrupt")
			}
			claim.Store(true)
			r.drive(6, clx.Low)
			waitUntil(t, "the DPC", func() bool { return dpcs.Load() == 1 })
			if lastPin.Load() != 6 {
				t.Fatalf("DPC context pin %d", lastPin.Load())
			}
		})
	}
}

// Bus-attached controllers dispatch in a worker: the raising goroutine
// does not wait for the ISR.
func TestBusAttachedDispatchesInWorker(t *testing.T) {
	r := newSimRig(t, "bus", sim.Config{BusAttached: true}, clx.Options{})
	release := make(chan struct{})
	var done atomic.Bool
	r.connect(clx.InterruptConfig{Pin: 0, ISR: func(clx.InterruptContext) bool {
		select {
		case <-release:
		case <-time.After(10 * time.Second):
		}
		done.Store(true)
		return true
	}})
	must(t, r.sim.DrivePad(0, clx.High)) // returns while the ISR is blocked
	if done.Load() {
		t.Fatal("ISR finished before it was released: it ran in the raising goroutine")
	}
	close(release)
	r.idle()
	if !done.Load() {
		t.Fatal("ISR did not run")
	}
}

// Emulated active-both (level mode + polarity flips) delivers the same
// sequence as native both-edge sensing for slow edges, and its first
// interrupt comes at connect when the line sits at the asserted level.
func TestEmulatedActiveBoth(t *testing.T) {
	seq := func(cfg sim.Config, start clx.Level, assertedHigh bool) []clx.Level {
		r := newSimRig(t, "", cfg, clx.Options{})
		r.drive(8, start)
		rec := &recorder{claim: true}
		r.connect(clx.InterruptConfig{Pin: 8, Polarity: clx.ActiveBoth, AssertedHigh: assertedHigh, ISR: rec.isr})
		l := start
		for i := 0; i < 6; i++ {
			l = 1 - l
			r.drive(8, l)
		}
		return rec.levels()
	}
	native := seq(sim.Config{}, clx.High, false)
	emulated := seq(sim.Config{EmulateBothEdges: true}, clx.High, false)
	if fmt.Sprint(native) != fmt.Sprint(emulated) || len(native) != 6 {
		t.Fatalf("native %v, emulated %v", native, emulated)
	}
	// Line already low (the asserted level) at connect: an immediate
	// interrupt, level low.
	first := seq(sim.Config{EmulateBothEdges: true}, clx.Low, false)
	if len(first) != 7 || first[0] != clx.Low {
		t.Fatalf("emulated from low: %v, want an immediate low then 6 edges", first)
	}
	high := seq(sim.Config{EmulateBothEdges: true}, clx.High, true)
	if len(high) != 7 || high[0] != clx.High {
		t.Fatalf("emulated, asserted high, from high: %v", high)
	}
}

// Debounce, emulated and native: a change is delivered iff the new level
// holds for the timeout; shorter pulses are filtered.
func TestDebounce(t *testing.T) {
	const db = 10 * time.Millisecond
	for _, sc := range []struct {
		name string
		cfg  sim.Config
	}{{"native", sim.Config{}}, {"emulated", sim.Config{EmulateDebounce: true}}, {"emulated-both", sim.Config{EmulateDebounce: true, EmulateBothEdges: true}},
		{"emulated-mask-io", sim.Config{EmulateDebounce: true, MaskIO: true}}} {
		for _, pol := range []clx.Polarity{clx.ActiveHigh, clx.ActiveLow, clx.ActiveBoth} {
			t.Run(sc.name+"/"+pol.String(), func(t *testing.T) {
				r := newSimRig(t, sc.name, sc.cfg, clx.Options{})
				rec := &recorder{claim: true}
				r.drive(1, clx.Low)
				r.connect(clx.InterruptConfig{Pin: 1, Polarity: pol, Debounce: db, ISR: rec.isr})
				// A glitch shorter than the timeout: filtered.
				r.drive(1, clx.High)
				r.clock.Advance(db / 2)
				r.drive(1, clx.Low)
				r.clock.Advance(2 * db)
				r.idle()
				if rec.count() != 0 {
					t.Fatalf("glitch of db/2 delivered %v", rec.levels())
				}
				// Bounces, then held for twice the timeout: one delivery.
				for i := 0; i < 3; i++ {
					r.drive(1, clx.High)
					r.clock.Advance(db / 4)
					r.drive(1, clx.Low)
					r.clock.Advance(db / 4)
				}
				r.drive(1, clx.High)
				r.clock.Advance(db - time.Microsecond)
				r.idle()
				if rec.count() != 0 {
					t.Fatalf("delivered before the level was stable for the timeout")
				}
				r.clock.Advance(db + time.Microsecond)
				r.idle()
				r.drive(1, clx.Low)
				r.clock.Advance(2 * db)
				r.idle()
				var want []clx.Level
				if pol != clx.ActiveLow {
					want = append(want, clx.High)
				}
				if pol != clx.ActiveHigh {
					want = append(want, clx.Low)
				}
				if fmt.Sprint(rec.levels()) != fmt.Sprint(want) {
					t.Fatalf("delivered %v, want %v", rec.levels(), want)
				}
			})
		}
	}
}

// Decision: a level interrupt that nobody claims, refiring more than the
// threshold in a row, is a storm: the pin is disabled, the holder gets a
// StormError, and the framework still serves other pins.
func TestStorm(t *testing.T) {
	for _, sc := range simConfigs {
		t.Run(sc.name, func(t *testing.T) {
			r := newSimRig(t, sc.name, sc.cfg, clx.Options{StormThreshold: 50})
			var calls atomic.Int32
			c := r.connect(clx.InterruptConfig{Pin: 3, Mode: clx.LevelSensitive, ISR: func(clx.InterruptContext) bool {
				calls.Add(1)
				return false
			}})
			other := &recorder{claim: true}
			r.connect(clx.InterruptConfig{Pin: 4, ISR: other.isr})
			r.drive(3, clx.High)
			select {
			case <-c.Failed():
			case <-time.After(10 * time.Second):
				t.Fatal("no storm detected")
			}
			var se *clx.StormError
			if !errors.As(c.Err(), &se) || se.Pin != 3 || se.Count != 51 || !errors.Is(c.Err(), clx.ErrInterruptStorm) {
				t.Fatalf("storm error %v", c.Err())
			}
			if calls.Load() != 51 {
				t.Fatalf("%d deliveries, want 51", calls.Load())
			}
			en, err := r.sim.QueryEnabledInterrupts(bg(), 0)
			must(t, err)
			if en&(1<<3) != 0 {
				t.Fatal("storming pin still enabled")
			}
			if err := c.Mask(bg()); !errors.Is(err, clx.ErrInterruptDisabled) {
				t.Fatalf("mask after storm: %v", err)
			}
			r.drive(4, clx.High)
			if other.count() != 1 {
				t.Fatalf("other pin after the storm: %d deliveries", other.count())
			}
			recent, _ := r.f.Errors()
			if len(recent) == 0 || !errors.Is(recent[len(recent)-1], clx.ErrInterruptStorm) {
				t.Fatalf("framework errors %v", recent)
			}
		})
	}
}

// Unclaimed deliveries that do not refire immediately are no storm.
func TestNoStormWithoutRefire(t *testing.T) {
	r := newSimRig(t, "mmio", sim.Config{}, clx.Options{StormThreshold: 5})
	var calls atomic.Int32
	c := r.connect(clx.InterruptConfig{Pin: 3, Mode: clx.LevelSensitive, ISR: func(clx.InterruptContext) bool {
		calls.Add(1)
		_ = r.sim.DrivePad(3, clx.Low) // serviced, but reported unclaimed (a shared line)
		return false
	}})
	for i := 0; i < 20; i++ {
		r.drive(3, clx.High)
	}
	if c.Err() != nil || calls.Load() != 20 {
		t.Fatalf("err %v, calls %d", c.Err(), calls.Load())
	}
}

// A panicking ISR is recovered: its connection is disabled with a
// PanicError, the framework goes on serving.
func TestPanickingISR(t *testing.T) {
	for _, sc := range simConfigs {
		t.Run(sc.name, func(t *testing.T) {
			r := newSimRig(t, sc.name, sc.cfg, clx.Options{})
			bad := r.connect(clx.InterruptConfig{Pin: 5, Shared: true, ISR: func(clx.InterruptContext) bool { panic("boom") }})
			good := &recorder{claim: true}
			r.connect(clx.InterruptConfig{Pin: 5, Shared: true, ISR: good.isr})
			r.drive(5, clx.High)
			var pe *clx.PanicError
			if !errors.As(bad.Err(), &pe) || pe.Pin != 5 || !strings.Contains(bad.Err().Error(), "boom") {
				t.Fatalf("panic error %v", bad.Err())
			}
			r.drive(5, clx.Low)
			r.drive(5, clx.High)
			if good.count() != 2 {
				t.Fatalf("sharer deliveries %d, want 2", good.count())
			}
			must(t, bad.Close())
		})
	}
}

func TestPanickingDPC(t *testing.T) {
	r := newSimRig(t, "mmio", sim.Config{}, clx.Options{})
	c := r.connect(clx.InterruptConfig{Pin: 2, ISR: func(clx.InterruptContext) bool { return true },
		DPC: func(clx.InterruptContext) { panic(errors.New("dpc boom")) }})
	r.drive(2, clx.High)
	select {
	case <-c.Failed():
	case <-time.After(10 * time.Second):
		t.Fatal("panicking DPC not reported")
	}
	if !errors.Is(c.Err(), clx.ErrISRPanic) {
		t.Fatalf("err %v", c.Err())
	}
	waitUntil(t, "the pin to be disabled", func() bool {
		en, _ := r.sim.QueryEnabledInterrupts(bg(), 0)
		return en&(1<<2) == 0
	})
}

func TestInterruptConfigErrors(t *testing.T) {
	r := newSimRig(t, "mmio", sim.Config{}, clx.Options{})
	isr := func(clx.InterruptContext) bool { return true }
	for _, cfg := range []clx.InterruptConfig{
		{Pin: 1},
		{Pin: 99, ISR: isr},
		{Pin: -1, ISR: isr},
		{Pin: 1, Mode: clx.LevelSensitive, Polarity: clx.ActiveBoth, ISR: isr},
		{Pin: 1, Debounce: -1, ISR: isr},
		{Pin: 1, Mode: 9, ISR: isr},
	} {
		_, err := r.f.ConnectInterrupt(bg(), cfg)
		if !errors.Is(err, clx.ErrInvalidArgument) {
			t.Errorf("%+v: %v, want ErrInvalidArgument", cfg, err)
		}
	}
}

// Bank power: context saved (with mask state) before power-off and
// restored, enable last, after.
func TestBankPower(t *testing.T) {
	r := newSimRig(t, "mmio", sim.Config{Pins: 16, PinsPerBank: 8}, clx.Options{})
	rec := &recorder{claim: true}
	masked := &recorder{claim: true}
	r.connect(clx.InterruptConfig{Pin: 9, ISR: rec.isr})
	cm := r.connect(clx.InterruptConfig{Pin: 10, ISR: masked.isr})
	must(t, cm.Mask(bg()))
	must(t, r.f.SetBankPower(bg(), 1, false))
	r.drive(9, clx.High) // lost: the bank is off
	r.drive(9, clx.Low)
	must(t, r.f.SetBankPower(bg(), 1, true))
	r.drive(9, clx.High)
	r.drive(10, clx.High)
	if rec.count() != 1 || masked.count() != 0 {
		t.Fatalf("after restore: %d deliveries on 9 (want 1), %d on masked 10 (want 0)", rec.count(), masked.count())
	}
	must(t, cm.Unmask(bg()))
	r.idle()
	if masked.count() != 1 {
		t.Fatalf("restored masked pin delivered %d on unmask", masked.count())
	}
	if err := r.f.SetBankPower(bg(), 7, true); !errors.Is(err, clx.ErrInvalidArgument) {
		t.Fatalf("bad bank: %v", err)
	}
}

func TestSuspendResume(t *testing.T) {
	r := newSimRig(t, "mmio", sim.Config{}, clx.Options{})
	rec := &recorder{claim: true}
	r.connect(clx.InterruptConfig{Pin: 1, ISR: rec.isr})
	held := &recorder{claim: true}
	hc := r.connect(clx.InterruptConfig{Pin: 2, Polarity: clx.ActiveHigh, ISR: held.isr})
	must(t, hc.Mask(bg()))
	lvl := &recorder{claim: true}
	lvl.onCall = func(clx.InterruptContext) { _ = r.sim.DrivePad(3, clx.Low) } // silence the source
	lc := r.connect(clx.InterruptConfig{Pin: 3, Mode: clx.LevelSensitive, Polarity: clx.ActiveHigh, ISR: lvl.isr})
	kept := &recorder{claim: true}
	kc := r.connect(clx.InterruptConfig{Pin: 4, Polarity: clx.ActiveHigh, ISR: kept.isr})
	must(t, kc.Mask(bg()))
	r.drive(4, clx.High) // latched while masked, before the suspend
	must(t, r.f.Suspend(bg()))
	if err := r.f.Suspend(bg()); err == nil {
		t.Fatal("a second Suspend succeeded")
	}
	r.drive(1, clx.High)
	r.drive(1, clx.Low)
	r.drive(3, clx.High) // asserted while suspended
	if rec.count() != 0 || lvl.count() != 0 {
		t.Fatalf("delivered while suspended: %d edges, %d levels", rec.count(), lvl.count())
	}
	must(t, lc.Mask(bg())) // clients may mask while suspended; the level waits
	must(t, r.f.Resume(bg()))
	r.drive(1, clx.High)
	if rec.count() != 1 {
		t.Fatalf("%d deliveries across suspend, want 1", rec.count())
	}
	if lvl.count() != 0 {
		t.Fatal("a level masked during the suspend fired on resume")
	}
	must(t, lc.Unmask(bg()))
	if lvl.count() != 1 {
		t.Fatalf("level asserted across the suspend: %d deliveries on unmask, want 1", lvl.count())
	}
	r.drive(2, clx.High)
	if held.count() != 0 {
		t.Fatal("a pin masked before the suspend delivered after it")
	}
	must(t, hc.Unmask(bg()))
	if held.count() != 1 {
		t.Fatalf("masked edge across the suspend: %d on unmask, want 1", held.count())
	}
	if kept.count() != 0 {
		t.Fatal("an edge latched while masked was delivered while still masked")
	}
	must(t, kc.Unmask(bg()))
	if kept.count() != 1 {
		t.Fatalf("an edge latched (masked) before the suspend: %d deliveries on unmask after it, want 1", kept.count())
	}
	if errs, _ := r.f.Errors(); len(errs) > 0 {
		t.Fatalf("dispatch errors across the suspend: %v", errs)
	}
	out, err := r.f.ControllerSpecificFunction(bg(), []byte("identify"))
	if err != nil || !strings.HasPrefix(string(out), "sim pins=32") {
		t.Fatalf("controller-specific: %q %v", out, err)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A debounced change that completes while its connection is masked (the
// line changed before the mask, the timeout ends after it) is held, not
// delivered, and is delivered once, with its level, on unmask.
func TestDebouncedChangeWhileMasked(t *testing.T) {
	const db = 10 * time.Millisecond
	for _, sc := range []struct {
		name string
		cfg  sim.Config
	}{{"native", sim.Config{}}, {"emulated", sim.Config{EmulateDebounce: true}}} {
		t.Run(sc.name, func(t *testing.T) {
			r := newSimRig(t, sc.name, sc.cfg, clx.Options{})
			rec := &recorder{claim: true}
			r.drive(1, clx.Low)
			c := r.connect(clx.InterruptConfig{Pin: 1, Polarity: clx.ActiveBoth, Debounce: db, ISR: rec.isr})
			r.drive(1, clx.High)
			must(t, c.Mask(bg()))
			r.clock.Advance(2 * db)
			r.idle()
			if rec.count() != 0 {
				t.Fatalf("delivered while masked: %v", rec.levels())
			}
			must(t, c.Unmask(bg()))
			r.idle()
			if fmt.Sprint(rec.levels()) != "[high]" {
				t.Fatalf("after unmask: %v, want [high]", rec.levels())
			}
		})
	}
}

// An unmask the controller fails is the caller's error alone (nothing is
// reported besides), and the connection stays masked: an edge latched
// while masked is still held, and a second unmask delivers it once.
func TestFailedUnmaskLeavesTheConnectionMasked(t *testing.T) {
	r := newSimRig(t, "unmask fails", sim.Config{Pins: 16, PinsPerBank: 8}, clx.Options{})
	rec := &recorder{claim: true}
	ic := r.connect(clx.InterruptConfig{Pin: 11, Polarity: clx.ActiveHigh, ISR: rec.isr})
	must(t, ic.Mask(bg()))
	r.drive(11, clx.High)
	must(t, r.sim.InjectFault("UnmaskInterrupt", sim.FaultError))
	wantPinError(t, "the failed unmask", ic.Unmask(bg()), sim.ErrInjected, 11, 1)
	r.idle()
	if n := rec.count(); n != 0 {
		t.Fatalf("the failed unmask delivered %d", n)
	}
	if errs := r.dispatchErrors(); len(errs) != 0 {
		t.Fatalf("the failed unmask was also reported: %v", errs)
	}
	must(t, ic.Unmask(bg()))
	r.idle()
	if n := rec.count(); n != 1 {
		t.Fatalf("the unmask after the failed one delivered %d, want the latched edge once", n)
	}
}

// An emulated active-both pin whose re-arm fails keeps the polarity the
// controller kept: one more pass delivers the level still sensed and
// re-arms, so the edge back is not missed. A controller that fails every
// re-arm gets that one retry per interrupt, not a spinning dispatch.
func TestFailedRearmOfEmulatedBothEdgesIsRetriedOnce(t *testing.T) {
	r := newSimRig(t, "re-arm fails", sim.Config{EmulateBothEdges: true}, clx.Options{})
	var failing atomic.Bool
	rec := &recorder{claim: true, onCall: func(clx.InterruptContext) {
		if failing.Load() {
			must(t, r.sim.InjectFault("ReconfigureInterrupt", sim.FaultError))
		}
	}}
	r.drive(2, clx.High)
	r.connect(clx.InterruptConfig{Pin: 2, Polarity: clx.ActiveBoth, AssertedHigh: true, ISR: rec.isr})
	// The level at connect is delivered. A re-arm that fails once: the
	// level still sensed is delivered again, then the re-arm holds and
	// the edge back is delivered.
	must(t, r.sim.InjectFault("ReconfigureInterrupt", sim.FaultError))
	r.drive(2, clx.Low)
	r.drive(2, clx.High)
	if got, want := rec.levels(), []clx.Level{clx.High, clx.Low, clx.Low, clx.High}; !slices.Equal(got, want) {
		t.Fatalf("one failed re-arm: delivered %v, want %v", got, want)
	}
	// Fails every time: two deliveries of the edge, then dispatch rests.
	failing.Store(true)
	must(t, r.sim.InjectFault("ReconfigureInterrupt", sim.FaultError))
	r.drive(2, clx.Low)
	if got, want := rec.levels()[4:], []clx.Level{clx.Low, clx.Low}; !slices.Equal(got, want) {
		t.Fatalf("every re-arm failing: delivered %v, want %v", got, want)
	}
	if errs := r.dispatchErrors(); len(errs) != 3 {
		t.Fatalf("reported %d errors, want the 3 failed re-arms: %v", len(errs), errs)
	}
}

// A pass whose query of active pins fails is retried by one more pass:
// the edge the hardware still holds is delivered, once, even where no
// further interrupt comes (on a bus-attached controller too).
func TestFailedQueryIsRetriedByAnotherPass(t *testing.T) {
	for _, cfg := range []sim.Config{{}, {BusAttached: true}} {
		r := newSimRig(t, fmt.Sprintf("bus-attached %v", cfg.BusAttached), cfg, clx.Options{})
		rec := &recorder{claim: true}
		r.connect(clx.InterruptConfig{Pin: 4, Polarity: clx.ActiveHigh, ISR: rec.isr})
		must(t, r.sim.InjectFault("QueryActiveInterrupts", sim.FaultError))
		r.drive(4, clx.High)
		if n, errs := rec.count(), r.dispatchErrors(); n != 1 || len(errs) != 1 {
			t.Fatalf("bus-attached %v: %d deliveries after a failed query, want 1; reported %v", cfg.BusAttached, n, errs)
		}
	}
}

// A level its ISR masks and leaves unclaimed does not fire again at once:
// each delivery ends its run, and no number of them is a storm — on a
// memory-mapped and on a bus-attached controller.
func TestUnclaimedLevelMaskedByItsISRIsNoStorm(t *testing.T) {
	for _, cfg := range []sim.Config{{}, {BusAttached: true}} {
		r := newSimRig(t, fmt.Sprintf("bus-attached %v", cfg.BusAttached), cfg, clx.Options{})
		var ic atomic.Pointer[clx.InterruptConn]
		var n atomic.Int64
		c := r.connect(clx.InterruptConfig{Pin: 3, Mode: clx.LevelSensitive, Polarity: clx.ActiveHigh, ISR: func(clx.InterruptContext) bool {
			if err := ic.Load().Mask(bg()); err != nil {
				t.Error(err)
			}
			n.Add(1)
			return false
		}})
		ic.Store(c)
		r.drive(3, clx.High)
		for i := int64(1); i <= clx.DefaultStormThreshold+10; i++ {
			r.idle()
			if got := n.Load(); got != i {
				t.Fatalf("bus-attached %v: %d deliveries, want %d", cfg.BusAttached, got, i)
			}
			must(t, c.Unmask(bg()))
		}
		if err := c.Err(); err != nil {
			t.Fatalf("bus-attached %v: taken for a storm: %v", cfg.BusAttached, err)
		}
	}
}

// After one holder's failed unmask the pin still counts that holder's
// mask: another holder masking and the first unmasking leave it masked.
func TestFailedUnmaskKeepsTheHoldersMaskCounted(t *testing.T) {
	r := newSimRig(t, "shared, unmask fails", sim.Config{Pins: 8}, clx.Options{})
	a, b := &recorder{claim: true}, &recorder{claim: true}
	ca := r.connect(clx.InterruptConfig{Pin: 5, Polarity: clx.ActiveHigh, Shared: true, ISR: a.isr})
	cb := r.connect(clx.InterruptConfig{Pin: 5, Polarity: clx.ActiveHigh, Shared: true, ISR: b.isr})
	must(t, ca.Mask(bg()))
	must(t, r.sim.InjectFault("UnmaskInterrupt", sim.FaultError))
	if err := ca.Unmask(bg()); !errors.Is(err, sim.ErrInjected) {
		t.Fatalf("the failed unmask: %v", err)
	}
	must(t, cb.Mask(bg()))
	must(t, ca.Unmask(bg()))
	r.drive(5, clx.High)
	if a.count()+b.count() != 0 {
		t.Fatalf("delivered %d and %d while a holder still masks the pin", a.count(), b.count())
	}
	must(t, cb.Unmask(bg()))
	r.idle()
	if a.count() != 1 || b.count() != 1 {
		t.Fatalf("after the last unmask: %d and %d deliveries, want the held edge once each", a.count(), b.count())
	}
}
