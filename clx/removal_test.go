package clx_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/sim"
)

// wantGone fails unless err is a *PinError for op, pin and bank (-1: none)
// that wraps ErrControllerGone and the sim's removal.
func wantGone(t *testing.T, what string, err error, op string, pin, bank int) {
	t.Helper()
	wantPinError(t, what, err, sim.ErrRemoved, pin, bank)
	var pe *clx.PinError
	if !errors.Is(err, clx.ErrControllerGone) || !errors.As(err, &pe) || pe.Op != op {
		t.Fatalf("%s: got %v, want %s failing with ErrControllerGone", what, err, op)
	}
}

// A controller removed under open connections: every connection fails
// with a typed error, nothing hangs, closing succeeds, and the same
// controller registered again works. On every sim configuration, so on
// a pin of the last bank where there are several.
func TestControllerRemovedUnderOpenConnections(t *testing.T) {
	for _, sc := range simConfigs {
		t.Run(sc.name, func(t *testing.T) {
			r := newSimRig(t, sc.name, sc.cfg, clx.Options{})
			last := r.f.Info().TotalPins - 1
			var first, second recorder
			edge := r.connect(clx.InterruptConfig{Pin: 1, Mode: clx.Edge, Polarity: clx.ActiveBoth, ISR: first.isr})
			level := r.connect(clx.InterruptConfig{Pin: last, Mode: clx.LevelSensitive, Polarity: clx.ActiveHigh, ISR: second.isr, Shared: true})
			out := r.connectIO(clx.IOConfig{Pins: []int{2, 3}, Direction: clx.Output})
			in := r.connectIO(clx.IOConfig{Pins: []int{4}, Direction: clx.Input, Shared: true})
			if err := out.Write(bg(), []byte{0b01}); err != nil {
				t.Fatal(err)
			}
			n := first.count() // emulated active-both may deliver the level it finds
			r.drive(1, clx.High)
			if first.count() != n+1 {
				t.Fatalf("before the removal: %d deliveries, want 1", first.count()-n)
			}

			r.sim.Remove()
			select {
			case <-r.f.Gone():
			case <-time.After(5 * time.Second):
				t.Fatal("the framework did not learn of the removal from the controller's interrupt")
			}
			if !errors.Is(r.f.Err(), clx.ErrControllerGone) {
				t.Fatalf("Err: %v", r.f.Err())
			}
			for _, c := range []*clx.InterruptConn{edge, level} {
				select {
				case <-c.Failed():
				case <-time.After(5 * time.Second):
					t.Fatalf("connection of pin %d did not fail", c.Pin())
				}
				bank := c.Pin() / r.f.Info().PinsPerBank
				wantGone(t, "Err", c.Err(), "controller-gone", c.Pin(), bank)
				wantGone(t, "mask", c.Mask(bg()), "mask", c.Pin(), bank)
				wantGone(t, "unmask", c.Unmask(bg()), "unmask", c.Pin(), bank)
			}
			// The pads the controller drove float: the one it drove high
			// reads low from outside.
			if l := r.pad(2); l != clx.Low {
				t.Errorf("pin 2 still driven high after the removal")
			}
			wantGone(t, "write", out.Write(bg(), []byte{0b10}), "write", 2, 0)
			wantGone(t, "read an output", out.Read(bg(), make([]byte, 1)), "read", 2, 0)
			wantGone(t, "read", in.Read(bg(), make([]byte, 1)), "read", 4, 0)
			_, err := r.f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 5, ISR: first.isr})
			wantGone(t, "connect interrupt", err, "connect-interrupt", 5, 5/r.f.Info().PinsPerBank)
			_, err = r.f.ConnectIO(bg(), clx.IOConfig{Pins: []int{6}, Direction: clx.Input})
			wantGone(t, "connect io", err, "connect-io", -1, -1)
			wantGone(t, "bank power", r.f.SetBankPower(bg(), 0, false), "bank-power-off", -1, 0)
			wantGone(t, "suspend", r.f.Suspend(bg()), "suspend", -1, -1)
			_, err = r.f.ControllerSpecificFunction(bg(), []byte("identify"))
			wantGone(t, "specific function", err, "controller-specific function", -1, -1)
			// Edges on the wires reach nobody, and nothing blocks.
			r.drive(1, clx.Low)
			r.drive(last, clx.High)
			if first.count() != n+1 || second.count() != 0 {
				t.Errorf("deliveries after the removal: %d and %d", first.count()-n-1, second.count())
			}
			for _, c := range []interface{ Close() error }{edge, level, out, in} {
				if err := c.Close(); err != nil {
					t.Errorf("close a connection of a removed controller: %v", err)
				}
			}
			ctx, cancel := context.WithTimeout(bg(), 5*time.Second)
			defer cancel()
			if err := r.f.Close(ctx); err != nil {
				t.Fatalf("close the framework of a removed controller: %v", err)
			}

			// Back again, it is a new device under a new framework.
			r.sim.Reinsert()
			f, err := clx.New(bg(), r.sim, clx.Options{})
			if err != nil {
				t.Fatalf("register the reinserted controller: %v", err)
			}
			defer f.Close(bg())
			var again recorder
			c, err := f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 1, Mode: clx.Edge, Polarity: clx.ActiveHigh, ISR: again.isr})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := r.sim.DrivePad(1, clx.High); err != nil {
				t.Fatal(err)
			}
			if err := f.WaitIdle(ctx); err != nil {
				t.Fatal(err)
			}
			if again.count() != 1 {
				t.Fatalf("after reinsertion: %d deliveries, want 1", again.count())
			}
		})
	}
}

// After the first answer that says the controller is gone, the framework
// calls it no more (a vanished bus device can take a timeout to answer
// each call) — but for Release at close, which frees the driver's host
// resources. The first answer is returned to its caller as a driver error
// that still says gone.
func TestNoControllerCallAfterItIsGone(t *testing.T) {
	v := newFake(fakeSpec{pins: 8, perBank: 8})
	f, err := clx.New(bg(), v, clx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.ConnectIO(bg(), clx.IOConfig{Pins: []int{0}, Direction: clx.Output})
	if err != nil {
		t.Fatal(err)
	}
	in, err := f.ConnectIO(bg(), clx.IOConfig{Pins: []int{1}, Direction: clx.Input})
	if err != nil {
		t.Fatal(err)
	}
	var rc recorder
	ic, err := f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 2, Mode: clx.Edge, Polarity: clx.ActiveHigh, ISR: rc.isr})
	if err != nil {
		t.Fatal(err)
	}
	v.vanish()
	vanished := len(v.calls())
	err = out.Write(bg(), []byte{1})
	if !errors.Is(err, clx.ErrControllerGone) || !errors.Is(err, clx.ErrControllerDriver) {
		t.Fatalf("the call that found the controller gone: %v", err)
	}
	if !errors.Is(in.Read(bg(), make([]byte, 1)), clx.ErrControllerGone) {
		t.Fatal("read after the removal did not say gone")
	}
	if !errors.Is(ic.Mask(bg()), clx.ErrControllerGone) {
		t.Fatal("mask after the removal did not say gone")
	}
	v.fire(2)
	select {
	case <-ic.Failed():
	case <-time.After(5 * time.Second):
		t.Fatal("the interrupt connection did not fail")
	}
	for _, c := range []interface{ Close() error }{out, in, ic} {
		if err := c.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}
	before := len(v.calls())
	ctx, cancel := context.WithTimeout(bg(), 5*time.Second)
	defer cancel()
	if err := f.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}
	calls := v.calls()
	// The write was the first call to answer gone; the rest until the
	// framework's close must be none.
	if after := calls[vanished+1 : before]; len(after) != 0 {
		t.Errorf("controller called after it answered gone: %v", after)
	}
	var rest []string
	for _, c := range calls[before:] {
		rest = append(rest, c.op)
	}
	if fmt.Sprint(rest) != "[Release]" {
		t.Errorf("calls at close: %v, want only Release", rest)
	}
	if rc.count() != 0 {
		t.Errorf("%d deliveries from a gone controller", rc.count())
	}
}

// Removal while clients write, mask and connect from other goroutines:
// every operation ends with nil or a gone error, nothing hangs or races
// (go test -race).
func TestRemovalWhileClientsWork(t *testing.T) {
	r := newSimRig(t, "concurrent", sim.Config{}, clx.Options{})
	var rc recorder
	ic := r.connect(clx.InterruptConfig{Pin: 1, Mode: clx.Edge, Polarity: clx.ActiveBoth, ISR: rc.isr})
	out := r.connectIO(clx.IOConfig{Pins: []int{2}, Direction: clx.Output})
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	stop := make(chan struct{})
	work := func(name string, op func(i int) error) {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := op(i); err != nil && !errors.Is(err, clx.ErrControllerGone) && !errors.Is(err, clx.ErrSharingViolation) {
				errs <- fmt.Errorf("%s: %w", name, err)
				return
			}
		}
	}
	wg.Add(3)
	go work("write", func(i int) error { return out.Write(bg(), []byte{byte(i & 1)}) })
	go work("mask", func(i int) error {
		if i%2 == 0 {
			return ic.Mask(bg())
		}
		return ic.Unmask(bg())
	})
	go work("connect", func(i int) error {
		c, err := r.f.ConnectIO(bg(), clx.IOConfig{Pins: []int{3}, Direction: clx.Input})
		if err != nil {
			return err
		}
		return c.Close()
	})
	for i := 0; i < 50; i++ {
		_ = r.sim.DrivePad(1, clx.Level(i&1))
	}
	r.sim.Remove()
	select {
	case <-ic.Failed():
	case <-time.After(5 * time.Second):
		t.Fatal("the connection did not fail")
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// A controller that goes away just as the framework closes — its Stop is
// the first call to answer gone — closes without error.
func TestControllerGoneAtClose(t *testing.T) {
	v := newFake(fakeSpec{pins: 8, perBank: 8})
	f, err := clx.New(bg(), v, clx.Options{})
	must(t, err)
	v.vanish()
	ctx, cancel := context.WithTimeout(bg(), 5*time.Second)
	defer cancel()
	if err := f.Close(ctx); err != nil {
		t.Fatalf("close of a controller gone at stop: %v", err)
	}
}
