package clx_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/sim"
)

// Ordinary work — edges, levels claimed, masking, closing — reports no
// error on any configuration: every report is a real fault.
func TestOrdinaryWorkReportsNothing(t *testing.T) {
	for _, sc := range simConfigs {
		t.Run(sc.name, func(t *testing.T) {
			r := newSimRig(t, sc.name, sc.cfg, clx.Options{})
			edge, level := &recorder{claim: true}, &recorder{}
			e := r.connect(clx.InterruptConfig{Pin: 1, Polarity: clx.ActiveBoth, ISR: edge.isr})
			var l *clx.InterruptConn
			level.onCall = func(ic clx.InterruptContext) {
				// Silence the level from inside its ISR, as a driver acks
				// a device.
				_ = r.sim.DrivePad(2, clx.Low)
			}
			level.claim = true
			l = r.connect(clx.InterruptConfig{Pin: 2, Mode: clx.LevelSensitive, Polarity: clx.ActiveHigh, ISR: level.isr})
			out := r.connectIO(clx.IOConfig{Pins: []int{3, 4}, Direction: clx.Output})
			for i := 0; i < 3; i++ {
				r.drive(1, clx.High)
				r.drive(1, clx.Low)
				r.drive(2, clx.High)
				must(t, out.Write(bg(), []byte{byte(i)}))
			}
			must(t, e.Mask(bg()))
			r.drive(1, clx.High)
			must(t, e.Unmask(bg()))
			r.idle()
			must(t, l.Close())
			must(t, e.Close())
			must(t, out.Close())
			if edge.count() == 0 || level.count() != 3 {
				t.Fatalf("deliveries: %d edge, %d level (want 3)", edge.count(), level.count())
			}
			if errs := r.dispatchErrors(); len(errs) != 0 {
				t.Fatalf("reported during ordinary work: %v", errs)
			}
		})
	}
}

// Connections without a name are named after their kind and a serial
// number counting up from 1 across both kinds.
func TestDefaultNames(t *testing.T) {
	r := newSimRig(t, "mmio", sim.Config{}, clx.Options{})
	io := r.connectIO(clx.IOConfig{Pins: []int{1}})
	ic := r.connect(clx.InterruptConfig{Pin: 2, ISR: func(clx.InterruptContext) bool { return true }})
	io2 := r.connectIO(clx.IOConfig{Pins: []int{3}})
	if io.Name() != "io#1" || ic.Name() != "interrupt#2" || io2.Name() != "io#3" {
		t.Fatalf("names %q %q %q, want io#1 interrupt#2 io#3", io.Name(), ic.Name(), io2.Name())
	}
}

// A shared pin whose every connection failed (a panicking ISR) stays
// disabled until they are closed: a new shared connection is refused
// with ErrInterruptDisabled, naming no holder, and after the close it is
// served.
func TestSharedPinDisabledByAPanic(t *testing.T) {
	r := newSimRig(t, "mmio", sim.Config{}, clx.Options{})
	bad := r.connect(clx.InterruptConfig{Pin: 1, Shared: true, ISR: func(clx.InterruptContext) bool { panic("isr") }})
	r.drive(1, clx.High)
	select {
	case <-bad.Failed():
	case <-time.After(5 * time.Second):
		t.Fatal("the panicking connection did not fail")
	}
	rec := &recorder{claim: true}
	_, err := r.f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 1, Shared: true, ISR: rec.isr})
	var pe *clx.PinError
	if !errors.Is(err, clx.ErrInterruptDisabled) || !errors.As(err, &pe) || pe.Holder != "" {
		t.Fatalf("shared connect to a disabled pin: %v", err)
	}
	must(t, bad.Close())
	r.drive(1, clx.Low)
	r.connect(clx.InterruptConfig{Pin: 1, Shared: true, ISR: rec.isr})
	r.drive(1, clx.High)
	if rec.count() != 1 {
		t.Fatalf("%d deliveries after the disabled connection closed, want 1", rec.count())
	}
}

// A holder that masks a shared pin and then closes takes its mask with it:
// the other holder is served again.
func TestClosingAMaskingHolderUnmasks(t *testing.T) {
	r := newSimRig(t, "mmio", sim.Config{}, clx.Options{})
	stays := &recorder{claim: true}
	leaves := r.connect(clx.InterruptConfig{Pin: 1, Shared: true, ISR: func(clx.InterruptContext) bool { return true }})
	r.connect(clx.InterruptConfig{Pin: 1, Shared: true, ISR: stays.isr})
	must(t, leaves.Mask(bg()))
	must(t, leaves.Close())
	r.drive(1, clx.High)
	if stays.count() != 1 {
		t.Fatalf("%d deliveries after the masking holder left, want 1", stays.count())
	}
}

// Closing an interrupt connection frees its pin for exclusive I/O.
func TestClosedInterruptFreesThePin(t *testing.T) {
	r := newSimRig(t, "mmio", sim.Config{}, clx.Options{})
	ic, err := r.f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 1, ISR: func(clx.InterruptContext) bool { return true }})
	must(t, err)
	if _, err := r.f.ConnectIO(bg(), clx.IOConfig{Pins: []int{1}, Direction: clx.Output}); !errors.Is(err, clx.ErrSharingViolation) {
		t.Fatalf("output on an interrupt pin: %v", err)
	}
	must(t, ic.Close())
	r.connectIO(clx.IOConfig{Pins: []int{1}, Direction: clx.Output})
}

// A controller's I/O errors on the second bank name the pin by its
// controller-relative number and the bank: connect, read, write and the
// disconnect a close makes.
func TestIOErrorsOnTheSecondBank(t *testing.T) {
	for _, op := range []string{"connect", "read", "write", "disconnect"} {
		t.Run(op, func(t *testing.T) {
			fc := newFake(fakeSpec{pins: 16, perBank: 8, errOn: op})
			f := fc.framework(t)
			dir := clx.Input
			if op == "write" {
				dir = clx.Output
			}
			c, err := f.ConnectIO(bg(), clx.IOConfig{Pins: []int{10, 9}, Direction: dir})
			if op != "connect" {
				must(t, err)
				switch op {
				case "read":
					err = c.Read(bg(), make([]byte, 1))
				case "write":
					err = c.Write(bg(), []byte{3})
				case "disconnect":
					err = c.Close()
				}
			}
			wantPinError(t, op, err, clx.ErrControllerDriver, 10, 1)
			if !errors.Is(err, errInjected) {
				t.Errorf("%s: the controller's own error is lost: %v", op, err)
			}
		})
	}
}

// Sharing bookkeeping: a sharing violation on the second bank names the
// pin; shared readers keep an exclusive client out until the last one
// closes; a pin whose interrupt connections all failed is still held
// until they close, by a holder the error cannot name.
func TestSharingBookkeeping(t *testing.T) {
	r := newSimRig(t, "two banks", sim.Config{Pins: 16, PinsPerBank: 8}, clx.Options{})
	r.connectIO(clx.IOConfig{Pins: []int{9}, Direction: clx.Output, Name: "holder"})
	_, err := r.f.ConnectIO(bg(), clx.IOConfig{Pins: []int{12, 9}})
	var pe *clx.PinError
	if !errors.As(err, &pe) || pe.Pin != 9 || pe.Bank != 1 || pe.Holder != "holder" {
		t.Fatalf("sharing violation on bank 1: %v", err)
	}

	a, err := r.f.ConnectIO(bg(), clx.IOConfig{Pins: []int{3}, Shared: true, Name: "reader a"})
	must(t, err)
	b, err := r.f.ConnectIO(bg(), clx.IOConfig{Pins: []int{3}, Shared: true, Name: "reader b"})
	must(t, err)
	must(t, a.Close())
	if _, err := r.f.ConnectIO(bg(), clx.IOConfig{Pins: []int{3}, Direction: clx.Output}); !errors.Is(err, clx.ErrSharingViolation) {
		t.Fatalf("output while one shared reader remains: %v", err)
	}
	must(t, b.Close())
	r.connectIO(clx.IOConfig{Pins: []int{3}, Direction: clx.Output})

	bad := r.connect(clx.InterruptConfig{Pin: 5, ISR: func(clx.InterruptContext) bool { panic("isr") }})
	r.drive(5, clx.High)
	select {
	case <-bad.Failed():
	case <-time.After(5 * time.Second):
		t.Fatal("the panicking connection did not fail")
	}
	_, err = r.f.ConnectIO(bg(), clx.IOConfig{Pins: []int{5}, Direction: clx.Output})
	if !errors.As(err, &pe) || !errors.Is(err, clx.ErrSharingViolation) || pe.Holder != "an interrupt connection" {
		t.Fatalf("output on a pin whose failed interrupt is still open: %v", err)
	}
	must(t, bad.Close())
	r.connectIO(clx.IOConfig{Pins: []int{5}, Direction: clx.Output})
}

// An input connection wider than 64 pins, across banks, reads every pin
// in its place.
func TestWideInputConnection(t *testing.T) {
	r := newSimRig(t, "wide", sim.Config{Pins: 128, PinsPerBank: 64}, clx.Options{})
	pins := make([]int, 72)
	for i := range pins {
		pins[i] = 127 - i // across both banks, in reverse
	}
	in := r.connectIO(clx.IOConfig{Pins: pins})
	for _, high := range []int{0, 5, 63, 64, 70, 71} {
		must(t, r.sim.DrivePad(pins[high], clx.High))
	}
	buf := make([]byte, 9)
	must(t, in.Read(bg(), buf))
	want := []byte{0b100001, 0, 0, 0, 0, 0, 0, 0b10000000, 0b11000001}
	for i := range want {
		if buf[i] != want[i] {
			t.Fatalf("read % 08b, want % 08b", buf, want)
		}
	}
}

// Storms count unclaimed deliveries in a row: a level that an unclaiming
// ISR lets go of each time (it drops before the unmask) ends the run, so
// many separate assertions are never a storm.
func TestSeparateUnclaimedLevelsAreNoStorm(t *testing.T) {
	for _, sc := range simConfigs {
		t.Run(sc.name, func(t *testing.T) {
			r := newSimRig(t, sc.name, sc.cfg, clx.Options{StormThreshold: 5})
			rec := &recorder{onCall: func(clx.InterruptContext) { _ = r.sim.DrivePad(2, clx.Low) }}
			c := r.connect(clx.InterruptConfig{Pin: 2, Mode: clx.LevelSensitive, Polarity: clx.ActiveHigh, ISR: rec.isr})
			for i := 0; i < 12; i++ {
				r.drive(2, clx.High)
			}
			r.idle()
			if err := c.Err(); err != nil {
				t.Fatalf("after %d separate unclaimed assertions: %v", rec.count(), err)
			}
			if rec.count() != 12 {
				t.Fatalf("%d deliveries, want 12", rec.count())
			}
		})
	}
}

// A client mask the controller failed leaves no mask behind: the level
// pin is still unmasked after its next delivery.
func TestFailedClientMaskLeavesNoMask(t *testing.T) {
	fc := newFake(fakeSpec{pins: 8, perBank: 8, failMask: 1 << 3})
	f := fc.framework(t)
	c, err := f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 3, Mode: clx.LevelSensitive,
		ISR: func(clx.InterruptContext) bool { return true }})
	must(t, err)
	if err := c.Mask(bg()); !errors.Is(err, clx.ErrControllerDriver) {
		t.Fatalf("mask: %v", err)
	}
	before := len(fc.calls())
	fc.fire(3)
	unmasked := false
	for _, call := range fc.calls()[before:] {
		if call.op == "unmask" {
			unmasked = true
		}
	}
	if !unmasked {
		t.Fatalf("the level pin stayed masked after its delivery: calls %v", fc.calls()[before:])
	}
}

// Close waits for a running routine only as long as its context allows,
// and says so.
func TestCloseBoundedByARunningISR(t *testing.T) {
	s, err := sim.New(sim.Config{})
	must(t, err)
	f, err := clx.New(bg(), s, clx.Options{})
	must(t, err)
	entered, release := make(chan struct{}), make(chan struct{})
	_, err = f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 1, ISR: func(clx.InterruptContext) bool {
		close(entered)
		<-release
		return true
	}})
	must(t, err)
	go func() { _ = s.DrivePad(1, clx.High) }() // dispatches, and blocks, in this goroutine
	<-entered
	ctx, cancel := context.WithTimeout(bg(), 50*time.Millisecond)
	defer cancel()
	err = f.Close(ctx)
	close(release)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("close with an ISR still running: %v, want the deadline", err)
	}
}

// flicker is a controller whose level pin is seen active by one query
// at a time, and whose unmask always raises, as a level still asserted
// at the unmask that drops before the next pass does.
type flicker struct {
	*fakeController
	mu     sync.Mutex
	active uint64
}

func (f *flicker) QueryActiveInterrupts(ctx context.Context, bank int, en uint64) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := f.active & en
	f.active = 0
	return a, nil
}

func (f *flicker) UnmaskInterrupt(ctx context.Context, r *clx.InterruptRequest) error {
	if err := f.fakeController.UnmaskInterrupt(ctx, r); err != nil {
		return err
	}
	f.raise(r.Bank)
	return nil
}

// A level that fires again at its unmask but is gone by the next pass
// ends its run of unclaimed deliveries: many such runs are no storm.
func TestALevelGoneByTheNextPassEndsItsRun(t *testing.T) {
	fl := &flicker{fakeController: newFake(fakeSpec{pins: 8, perBank: 8})}
	f, err := clx.New(bg(), fl, clx.Options{StormThreshold: 3})
	must(t, err)
	defer f.Close(bg())
	var n int
	c, err := f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 2, Mode: clx.LevelSensitive,
		ISR: func(clx.InterruptContext) bool { n++; return false }})
	must(t, err)
	for i := 0; i < 8; i++ {
		fl.mu.Lock()
		fl.active = 1 << 2
		fl.mu.Unlock()
		fl.raise(0)
	}
	if err := c.Err(); err != nil || n != 8 {
		t.Fatalf("after 8 separate unclaimed runs: %d deliveries, %v", n, err)
	}
}
