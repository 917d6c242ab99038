package clx_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/sim"
)

// Registration validates each capability group, all or nothing, and names
// what is missing.
func TestRegistration(t *testing.T) {
	info := clx.Info{TotalPins: 8, PinsPerBank: 8, Flags: clx.MemoryMapped}
	for _, tc := range []struct {
		name    string
		ctrl    clx.Controller
		want    error
		missing []string
	}{
		{"lifecycle only", lifecycleOnly{info}, nil, nil},
		{"half I/O", connectOnly{lifecycleOnly{info}}, clx.ErrIncompleteDriver, []string{"DisconnectIOPins", "ReadPins or WritePins"}},
		{"half interrupts", halfInterrupts{lifecycleOnly{info}}, clx.ErrIncompleteDriver,
			[]string{"MaskInterrupts", "UnmaskInterrupt", "QueryActiveInterrupts", "ClearActiveInterrupts"}},
		{"half bank power", saveOnly{lifecycleOnly{info}}, clx.ErrIncompleteDriver, []string{"RestoreBankContext"}},
		{"emulate both without reconfigure", newFake(fakeSpec{pins: 8, perBank: 8, flags: clx.MemoryMapped | clx.EmulateActiveBoth}),
			clx.ErrIncompleteDriver, []string{"EmulateActiveBoth: ReconfigureInterrupt"}},
		{"emulate both with reconfigure", reconfigFake{newFake(fakeSpec{pins: 8, perBank: 8, flags: clx.MemoryMapped | clx.EmulateActiveBoth})}, nil, nil},
		{"IOAsMasks without mask forms", newFake(fakeSpec{pins: 8, perBank: 8, flags: clx.IOAsMasks}), clx.ErrIncompleteDriver,
			[]string{"ReadPinsMask or WritePinsMask"}},
		{"auto-clear needs no clear", autoClearNoClear{newFake(fakeSpec{pins: 8, perBank: 8, flags: clx.AutoClearOnRead})}, nil, nil},
		{"no pins", lifecycleOnly{clx.Info{TotalPins: 0, PinsPerBank: 8}}, clx.ErrInvalidArgument, nil},
		{"65 per bank", lifecycleOnly{clx.Info{TotalPins: 80, PinsPerBank: 65}}, clx.ErrInvalidArgument, nil},
		{"nil", nil, clx.ErrInvalidArgument, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := clx.New(context.Background(), tc.ctrl, clx.Options{})
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				f.Close(context.Background())
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			for _, m := range tc.missing {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not name %q", err, m)
				}
			}
		})
	}
	// No capability: the operations say so.
	f, err := clx.New(context.Background(), lifecycleOnly{info}, clx.Options{})
	must(t, err)
	defer f.Close(context.Background())
	if _, err := f.ConnectIO(bg(), clx.IOConfig{Pins: []int{1}}); !errors.Is(err, clx.ErrNotSupported) {
		t.Errorf("I/O without the group: %v", err)
	}
	if _, err := f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 1, ISR: func(clx.InterruptContext) bool { return true }}); !errors.Is(err, clx.ErrNotSupported) {
		t.Errorf("interrupt without the group: %v", err)
	}
	if err := f.SetBankPower(bg(), 0, false); !errors.Is(err, clx.ErrNotSupported) {
		t.Errorf("bank power without the group: %v", err)
	}
	if err := f.Suspend(bg()); !errors.Is(err, clx.ErrNotSupported) {
		t.Errorf("suspend without the group: %v", err)
	}
	if err := f.Resume(bg()); !errors.Is(err, clx.ErrNotSupported) {
		t.Errorf("resume without the group: %v", err)
	}
}

// autoClearNoClear hides ClearActiveInterrupts.
type autoClearNoClear struct{ fc *fakeController }

func (a autoClearNoClear) Info() clx.Info                    { return a.fc.Info() }
func (a autoClearNoClear) Prepare(ctx context.Context) error { return a.fc.Prepare(ctx) }
func (a autoClearNoClear) Release(ctx context.Context) error { return a.fc.Release(ctx) }
func (a autoClearNoClear) Start(ctx context.Context, irq clx.PrimaryInterrupt) error {
	return a.fc.Start(ctx, irq)
}
func (a autoClearNoClear) Stop(ctx context.Context) error { return a.fc.Stop(ctx) }
func (a autoClearNoClear) EnableInterrupt(ctx context.Context, r *clx.InterruptRequest) error {
	return a.fc.EnableInterrupt(ctx, r)
}
func (a autoClearNoClear) DisableInterrupt(ctx context.Context, r *clx.InterruptRequest) error {
	return a.fc.DisableInterrupt(ctx, r)
}
func (a autoClearNoClear) MaskInterrupts(ctx context.Context, b int, m uint64) (uint64, error) {
	return a.fc.MaskInterrupts(ctx, b, m)
}
func (a autoClearNoClear) UnmaskInterrupt(ctx context.Context, r *clx.InterruptRequest) error {
	return a.fc.UnmaskInterrupt(ctx, r)
}
func (a autoClearNoClear) QueryActiveInterrupts(ctx context.Context, b int, e uint64) (uint64, error) {
	return a.fc.QueryActiveInterrupts(ctx, b, e)
}

// With AutoClearOnRead the framework never calls clear; without it, an edge
// is cleared before its ISR.
func TestAutoClearNeverClears(t *testing.T) {
	for _, auto := range []bool{false, true} {
		flags := clx.MemoryMapped
		if auto {
			flags |= clx.AutoClearOnRead
		}
		fc := newFake(fakeSpec{pins: 8, perBank: 8, flags: flags})
		f := fc.framework(t)
		var clearsAtISR int
		_, err := f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 2, ISR: func(clx.InterruptContext) bool {
			clearsAtISR = countOps(fc.calls(), "clear")
			return true
		}})
		must(t, err)
		fc.fire(2)
		clears := countOps(fc.calls(), "clear")
		if auto && clears != 0 {
			t.Errorf("auto-clear controller got %d clears", clears)
		}
		if !auto && clearsAtISR != 1 {
			t.Errorf("edge not cleared before its ISR (%d clears when it ran)", clearsAtISR)
		}
	}
}

// Controller-driver faults: failing mask and clear, an active pin outside
// the expected set, a lying enable register, a panicking callback. Each is
// a typed error; none is delivered as an interrupt; nothing panics.
func TestControllerDriverFaults(t *testing.T) {
	isr := func(rec *int) clx.ISR { return func(clx.InterruptContext) bool { *rec++; return true } }

	t.Run("failing mask", func(t *testing.T) {
		fc := newFake(fakeSpec{pins: 8, perBank: 8, failMask: 1 << 3})
		f := fc.framework(t)
		var n int
		c, err := f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 3, ISR: isr(&n)})
		must(t, err)
		err = c.Mask(bg())
		var pe *clx.PinError
		if !errors.Is(err, clx.ErrControllerDriver) || !errors.As(err, &pe) || pe.Pin != 3 || pe.Op != "mask" {
			t.Fatalf("mask: %v", err)
		}
	})
	t.Run("failing mask in dispatch", func(t *testing.T) {
		// A level pin is masked around its routines: a mask the
		// controller reports failed there is reported, naming the pin.
		fc := newFake(fakeSpec{pins: 8, perBank: 8, failMask: 1 << 3})
		f := fc.framework(t)
		var n int
		_, err := f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 3, Mode: clx.LevelSensitive, ISR: isr(&n)})
		must(t, err)
		fc.fire(3)
		errs, _ := f.Errors()
		var pe *clx.PinError
		if n != 1 || len(errs) == 0 || !errors.As(errs[0], &pe) || pe.Op != "mask" || pe.Pin != 3 || !errors.Is(errs[0], clx.ErrControllerDriver) {
			t.Fatalf("deliveries %d, errors %v", n, errs)
		}
	})
	t.Run("failing enabled query", func(t *testing.T) {
		fc := newFake(fakeSpec{pins: 8, perBank: 8, errOn: "query-enabled"})
		f := fc.framework(t)
		var n int
		_, err := f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 2, ISR: isr(&n)})
		must(t, err)
		errs, _ := f.Errors()
		var pe *clx.PinError
		if len(errs) == 0 || !errors.As(errs[0], &pe) || pe.Pin != -1 || pe.Bank != 0 || !errors.Is(errs[0], errInjected) {
			t.Fatalf("errors %v", errs)
		}
	})
	t.Run("failing clear", func(t *testing.T) {
		fc := newFake(fakeSpec{pins: 8, perBank: 8, failClear: 1 << 1})
		f := fc.framework(t)
		var n int
		_, err := f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 1, ISR: isr(&n)})
		must(t, err)
		// One more pass retries: it delivers the status the clear left
		// (the framework cannot tell it from a new edge), fails to clear
		// it again, and dispatch rests.
		fc.fire(1)
		errs, _ := f.Errors()
		if n != 2 || len(errs) != 2 || !errors.Is(errs[1], clx.ErrControllerDriver) || !strings.Contains(errs[1].Error(), "clear") {
			t.Fatalf("deliveries %d, errors %v", n, errs)
		}
	})
	t.Run("active outside expected", func(t *testing.T) {
		fc2 := newFake(fakeSpec{pins: 8, perBank: 8, phantom: 1 << 6})
		f2 := fc2.framework(t)
		var k int
		_, err := f2.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 1, ISR: isr(&k)})
		must(t, err)
		fc2.fire(1)
		errs, _ := f2.Errors()
		var pe *clx.PinError
		if k != 1 || len(errs) == 0 || !errors.As(errs[0], &pe) || pe.Pin != 6 || !errors.Is(errs[0], clx.ErrControllerDriver) {
			t.Fatalf("phantom pin 6: deliveries %d, errors %v", k, errs)
		}
	})
	t.Run("query-enabled disagrees", func(t *testing.T) {
		fc := newFake(fakeSpec{pins: 8, perBank: 8, lieEnabled: true})
		f := fc.framework(t)
		var n int
		_, err := f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 2, ISR: isr(&n)})
		must(t, err)
		fc.raise(0) // spurious: nothing active
		errs, _ := f.Errors()
		found := false
		for _, e := range errs {
			var pe *clx.PinError
			// The spurious interrupt is what makes the framework check
			// again; the error concerns the bank, no pin.
			if errors.Is(e, clx.ErrControllerDriver) && strings.Contains(e.Error(), "enable state") &&
				errors.As(e, &pe) && pe.Op == "spurious-interrupt" && pe.Pin == -1 && pe.Bank == 0 {
				found = true
			}
		}
		if !found {
			t.Fatalf("no cross-check error after the spurious interrupt in %v", errs)
		}
	})
	for _, method := range []string{"query", "clear", "mask", "enable", "write", "read", "connect"} {
		t.Run("panicking "+method, func(t *testing.T) {
			fc := newFake(fakeSpec{pins: 8, perBank: 8, panicOn: method})
			f := fc.framework(t)
			var n int
			c, err := f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 2, ISR: isr(&n)})
			if method == "enable" {
				var dp *clx.DriverPanicError
				if !errors.As(err, &dp) || !errors.Is(err, clx.ErrControllerDriver) {
					t.Fatalf("connect with panicking enable: %v", err)
				}
				return
			}
			must(t, err)
			fc.fire(2)
			if method == "mask" {
				if err := c.Mask(bg()); !errors.Is(err, clx.ErrControllerDriver) {
					t.Fatalf("mask: %v", err)
				}
			}
			out, err := f.ConnectIO(bg(), clx.IOConfig{Pins: []int{4}, Direction: clx.Output})
			if method == "connect" {
				if !errors.Is(err, clx.ErrControllerDriver) {
					t.Fatalf("connect-io: %v", err)
				}
				return
			}
			must(t, err)
			if err := out.Write(bg(), []byte{1}); (method == "write") != errors.Is(err, clx.ErrControllerDriver) {
				t.Fatalf("write: %v", err)
			}
			in, err := f.ConnectIO(bg(), clx.IOConfig{Pins: []int{5}})
			must(t, err)
			if err := in.Read(bg(), []byte{0}); (method == "read") != errors.Is(err, clx.ErrControllerDriver) {
				t.Fatalf("read: %v", err)
			}
			// The framework still works: the bank lock was released.
			must(t, c.Close())
			c2, err := f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 2, ISR: isr(&n)})
			must(t, err)
			must(t, c2.Close())
		})
	}
	t.Run("panicking start", func(t *testing.T) {
		fc := newFake(fakeSpec{pins: 8, perBank: 8, panicOn: "Start"})
		_, err := clx.New(bg(), fc, clx.Options{})
		if !errors.Is(err, clx.ErrControllerDriver) {
			t.Fatalf("New: %v", err)
		}
		if countOps(fc.calls(), "Release") != 1 {
			t.Fatalf("controller not released after a failed start")
		}
	})
}

// Close is idempotent, stops and releases the controller once, and makes
// later operations fail with ErrClosed.
func TestFrameworkClose(t *testing.T) {
	fc := newFake(fakeSpec{pins: 8, perBank: 8})
	f, err := clx.New(bg(), fc, clx.Options{})
	must(t, err)
	c, err := f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 1, ISR: func(clx.InterruptContext) bool { return true }})
	must(t, err)
	io, err := f.ConnectIO(bg(), clx.IOConfig{Pins: []int{2}, Direction: clx.Output})
	must(t, err)
	must(t, f.Close(bg()))
	must(t, f.Close(bg()))
	if n := countOps(fc.calls(), "Release"); n != 1 {
		t.Fatalf("released %d times", n)
	}
	if err := io.Write(bg(), []byte{1}); !errors.Is(err, clx.ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
	if err := c.Mask(bg()); !errors.Is(err, clx.ErrClosed) {
		t.Fatalf("mask after close: %v", err)
	}
	if _, err := f.ConnectIO(bg(), clx.IOConfig{Pins: []int{3}}); !errors.Is(err, clx.ErrClosed) {
		t.Fatalf("connect after close: %v", err)
	}
	must(t, c.Close())
	must(t, io.Close())
}

// preFake adds PreProcessInterrupt, logged like every other call.
type preFake struct{ *fakeController }

func (p preFake) PreProcessInterrupt(ctx context.Context, bank int) error {
	return p.enter("pre-process", bank)
}

// Pre-process runs in the raising context before the bus-attached worker
// queries the controller.
func TestPreProcess(t *testing.T) {
	for _, flags := range []clx.Flags{clx.MemoryMapped, clx.IndependentIO} {
		fc := newFake(fakeSpec{pins: 8, perBank: 8, flags: flags})
		f, err := clx.New(bg(), preFake{fc}, clx.Options{})
		must(t, err)
		var n int
		done := make(chan struct{}, 1)
		_, err = f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 2, ISR: func(clx.InterruptContext) bool {
			n++
			done <- struct{}{}
			return true
		}})
		must(t, err)
		fc.fire(2)
		<-done
		calls := fc.calls()
		pre, query := -1, -1
		for i, c := range calls {
			if c.op == "pre-process" && pre < 0 {
				pre = i
			}
			if c.op == "query" && query < 0 {
				query = i
			}
		}
		if pre < 0 || query < 0 || pre > query {
			t.Fatalf("flags %v: pre-process at %d, query at %d", flags, pre, query)
		}
		if recent, total := f.Errors(); total != 0 {
			t.Fatalf("flags %v: a pre-process that succeeds reported %v", flags, recent)
		}
		must(t, f.Close(bg()))
	}
}

// maskIOPanicker is the sim controller in mask-I/O form whose mask read or
// write panics.
type maskIOPanicker struct {
	*sim.Controller
	panicOn string // "read" or "write"
}

func (m *maskIOPanicker) ReadPinsMask(ctx context.Context, bank int) (uint64, error) {
	if m.panicOn == "read" {
		panic("mask read")
	}
	return m.Controller.ReadPinsMask(ctx, bank)
}

func (m *maskIOPanicker) WritePinsMask(ctx context.Context, bank int, set, clear uint64) error {
	if m.panicOn == "write" {
		panic("mask write")
	}
	return m.Controller.WritePinsMask(ctx, bank, set, clear)
}

// A panic in a mask-form read or write is contained like any other
// controller panic: the call fails with a DriverPanicError, and the
// framework goes on working.
func TestMaskIOPanicsAreContained(t *testing.T) {
	for _, which := range []string{"read", "write"} {
		t.Run(which, func(t *testing.T) {
			s, err := sim.New(sim.Config{Pins: 8, PinsPerBank: 8, MaskIO: true})
			if err != nil {
				t.Fatal(err)
			}
			f, err := clx.New(bg(), &maskIOPanicker{Controller: s, panicOn: which}, clx.Options{})
			if err != nil {
				t.Fatal(err)
			}
			out, err := f.ConnectIO(bg(), clx.IOConfig{Pins: []int{1}, Direction: clx.Output})
			must(t, err)
			in, err := f.ConnectIO(bg(), clx.IOConfig{Pins: []int{2}, Direction: clx.Input})
			must(t, err)
			var dp *clx.DriverPanicError
			werr := out.Write(bg(), []byte{1})
			rerr := in.Read(bg(), []byte{0})
			got := map[string]error{"write": werr, "read": rerr}
			for op, err := range got {
				if panicked := errors.As(err, &dp) && errors.Is(err, clx.ErrControllerDriver); panicked != (op == which) {
					t.Errorf("%s with a panicking mask %s: %v", op, which, err)
				}
			}
			must(t, out.Close())
			must(t, in.Close())
			again, err := f.ConnectIO(bg(), clx.IOConfig{Pins: []int{1}, Direction: clx.Input})
			must(t, err)
			must(t, again.Close())
			// not deferred: an uncontained panic must end the test, not
			// wait on the lock the panicking call held
			must(t, f.Close(bg()))
		})
	}
}
