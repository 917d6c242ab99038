package clx_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/sim"
)

// wantPinError fails unless err wraps kind inside a *PinError naming pin
// and bank (-1: none).
func wantPinError(t *testing.T, what string, err, kind error, pin, bank int) {
	t.Helper()
	var pe *clx.PinError
	if !errors.Is(err, kind) || !errors.As(err, &pe) || pe.Pin != pin || pe.Bank != bank {
		t.Errorf("%s: got %v (%#v), want %v naming pin %d, bank %d", what, err, pe, kind, pin, bank)
	}
}

// A refused connection says why and where: the pin and bank it concerns,
// or none when the refusal is about the whole request.
func TestRefusedConnectionsNameWhere(t *testing.T) {
	r := newSimRig(t, "two banks", sim.Config{Pins: 16, PinsPerBank: 8}, clx.Options{})
	isr := func(clx.InterruptContext) bool { return true }
	for _, c := range []struct {
		name      string
		cfg       clx.IOConfig
		kind      error
		pin, bank int
	}{
		{"no pins", clx.IOConfig{}, clx.ErrInvalidArgument, -1, -1},
		{"unknown direction", clx.IOConfig{Pins: []int{9}, Direction: 2}, clx.ErrInvalidArgument, -1, -1},
		{"unknown restriction", clx.IOConfig{Pins: []int{9}, Restriction: 4}, clx.ErrInvalidArgument, -1, -1},
		{"output on input-only", clx.IOConfig{Pins: []int{9}, Direction: clx.Output, Restriction: clx.RestrictInput}, clx.ErrOperationDenied, -1, -1},
		{"input on output-only", clx.IOConfig{Pins: []int{9}, Restriction: clx.RestrictOutput}, clx.ErrOperationDenied, -1, -1},
		{"shared output", clx.IOConfig{Pins: []int{9}, Direction: clx.Output, Shared: true}, clx.ErrInvalidArgument, -1, -1},
		{"unknown pull", clx.IOConfig{Pins: []int{9}, Pull: 4}, clx.ErrInvalidArgument, -1, -1},
		{"unknown drive", clx.IOConfig{Pins: []int{9}, Drive: 4}, clx.ErrInvalidArgument, -1, -1},
		{"negative debounce", clx.IOConfig{Pins: []int{9}, Debounce: -1}, clx.ErrInvalidArgument, -1, -1},
		{"pin 0 twice", clx.IOConfig{Pins: []int{0, 1, 0}}, clx.ErrInvalidArgument, 0, 0},
		{"pin 9 twice", clx.IOConfig{Pins: []int{9, 9}}, clx.ErrInvalidArgument, 9, 1},
		{"pin 15 twice", clx.IOConfig{Pins: []int{15, 15}}, clx.ErrInvalidArgument, 15, 1},
		{"pin past the last", clx.IOConfig{Pins: []int{3, 16}}, clx.ErrInvalidArgument, 16, -1},
	} {
		_, err := r.f.ConnectIO(bg(), c.cfg)
		wantPinError(t, "connect-io: "+c.name, err, c.kind, c.pin, c.bank)
	}
	for _, c := range []struct {
		name      string
		cfg       clx.InterruptConfig
		pin, bank int
	}{
		{"no ISR", clx.InterruptConfig{Pin: 9}, 9, 1},
		{"unknown mode", clx.InterruptConfig{Pin: 9, Mode: 2, ISR: isr}, 9, 1},
		{"unknown polarity", clx.InterruptConfig{Pin: 9, Polarity: 3, ISR: isr}, 9, 1},
		{"level on both edges", clx.InterruptConfig{Pin: 8, Mode: clx.LevelSensitive, Polarity: clx.ActiveBoth, ISR: isr}, 8, 1},
		{"negative debounce", clx.InterruptConfig{Pin: 7, Debounce: -1, ISR: isr}, 7, 0},
		{"unknown pull", clx.InterruptConfig{Pin: 9, Pull: 4, ISR: isr}, 9, 1},
		{"pin past the last", clx.InterruptConfig{Pin: 16, ISR: isr}, 16, -1},
	} {
		_, err := r.f.ConnectInterrupt(bg(), c.cfg)
		wantPinError(t, "connect-interrupt: "+c.name, err, clx.ErrInvalidArgument, c.pin, c.bank)
	}
	ctx := context.Background()
	if err := r.f.Close(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := r.f.ConnectIO(bg(), clx.IOConfig{Pins: []int{9}})
	wantPinError(t, "connect-io after close", err, clx.ErrClosed, -1, -1)
	_, err = r.f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 9, ISR: isr})
	wantPinError(t, "connect-interrupt after close", err, clx.ErrClosed, 9, -1)
}

// ioCore is a controller's lifecycle and I/O connection calls, with no
// read or write: the one-way controllers below add one.
type ioCore interface {
	clx.Controller
	clx.IOConnector
	clx.IODisconnector
}

type readPinsOnly struct{ ioCore }

func (c readPinsOnly) ReadPins(ctx context.Context, b int, pins []int) (uint64, error) {
	return c.ioCore.(clx.PinReader).ReadPins(ctx, b, pins)
}

type writePinsOnly struct{ ioCore }

func (c writePinsOnly) WritePins(ctx context.Context, b int, pins []int, v uint64) error {
	return c.ioCore.(clx.PinWriter).WritePins(ctx, b, pins, v)
}

type readMaskOnly struct{ ioCore }

func (c readMaskOnly) ReadPinsMask(ctx context.Context, b int) (uint64, error) {
	return c.ioCore.(clx.MaskReader).ReadPinsMask(ctx, b)
}

type writeMaskOnly struct{ ioCore }

func (c writeMaskOnly) WritePinsMask(ctx context.Context, b int, set, clear uint64) error {
	return c.ioCore.(clx.MaskWriter).WritePinsMask(ctx, b, set, clear)
}

// A controller that can only read refuses output connections, and one
// that can only write refuses input ones, in both the pin-table and the
// mask form; the direction it has works.
func TestOneWayIOControllers(t *testing.T) {
	for _, c := range []struct {
		name    string
		masks   bool
		wrap    func(ioCore) clx.Controller
		refused clx.Direction
	}{
		{"pins, read only", false, func(s ioCore) clx.Controller { return readPinsOnly{s} }, clx.Output},
		{"pins, write only", false, func(s ioCore) clx.Controller { return writePinsOnly{s} }, clx.Input},
		{"masks, read only", true, func(s ioCore) clx.Controller { return readMaskOnly{s} }, clx.Output},
		{"masks, write only", true, func(s ioCore) clx.Controller { return writeMaskOnly{s} }, clx.Input},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := sim.New(sim.Config{Pins: 8, MaskIO: c.masks})
			must(t, err)
			f, err := clx.New(bg(), c.wrap(s), clx.Options{})
			must(t, err)
			defer f.Close(bg())
			_, err = f.ConnectIO(bg(), clx.IOConfig{Pins: []int{1}, Direction: c.refused})
			wantPinError(t, "the missing direction", err, clx.ErrNotSupported, -1, -1)
			_, err = f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 1, ISR: func(clx.InterruptContext) bool { return true }})
			wantPinError(t, "an interrupt on an I/O-only controller", err, clx.ErrNotSupported, 1, -1)
			conn, err := f.ConnectIO(bg(), clx.IOConfig{Pins: []int{1}, Direction: 1 - c.refused})
			must(t, err)
			buf := []byte{1}
			if c.refused == clx.Input {
				must(t, conn.Write(bg(), buf))
				if l, _, _ := s.Pad(1); l != clx.High {
					t.Error("the write did not reach the pad")
				}
			} else {
				must(t, s.DrivePad(1, clx.High))
				buf[0] = 0
				must(t, conn.Read(bg(), buf))
				if buf[0] != 1 {
					t.Errorf("read %#x, want 1", buf[0])
				}
			}
			must(t, conn.Close())
		})
	}
}

// interruptsOnly is a controller with the interrupt group and no I/O.
type interruptsOnly struct{ clx.InterruptController }

// Bank power and I/O refused where they do not apply name the bank (or
// none) and no pin; a failing save names the bank too.
func TestRefusalsNameTheBank(t *testing.T) {
	r := newSimRig(t, "two banks", sim.Config{Pins: 16, PinsPerBank: 8}, clx.Options{})
	wantPinError(t, "bank past the last", r.f.SetBankPower(bg(), 2, false), clx.ErrInvalidArgument, -1, 2)
	wantPinError(t, "negative bank", r.f.SetBankPower(bg(), -1, true), clx.ErrInvalidArgument, -1, -1)
	must(t, r.f.SetBankPower(bg(), 1, false))
	// The sim cannot save a bank that is off: the error names the bank.
	err := r.f.SetBankPower(bg(), 1, false)
	wantPinError(t, "saving a bank that is off", err, clx.ErrControllerDriver, -1, 1)
	must(t, r.f.SetBankPower(bg(), 1, true))

	fc := newFake(fakeSpec{pins: 8, perBank: 8})
	f, err := clx.New(bg(), interruptsOnly{fc}, clx.Options{})
	must(t, err)
	defer f.Close(bg())
	_, err = f.ConnectIO(bg(), clx.IOConfig{Pins: []int{1}})
	wantPinError(t, "I/O on an interrupt-only controller", err, clx.ErrNotSupported, -1, -1)
	wantPinError(t, "bank power without the group", f.SetBankPower(bg(), 0, false), clx.ErrNotSupported, -1, 0)
}

// Closing the framework returns what closing its connections failed with.
func TestFrameworkCloseReturnsConnectionErrors(t *testing.T) {
	fc := newFake(fakeSpec{pins: 8, perBank: 8, errOn: "disconnect"})
	f, err := clx.New(bg(), fc, clx.Options{})
	must(t, err)
	_, err = f.ConnectIO(bg(), clx.IOConfig{Pins: []int{1}})
	must(t, err)
	if err := f.Close(bg()); !errors.Is(err, errInjected) {
		t.Fatalf("close: %v, want the connection's disconnect error", err)
	}
}

// maskOnlyCaps are the interrupt group, reconfiguration and mask-form I/O.
type maskOnlyCaps interface {
	clx.InterruptController
	clx.InterruptReconfigurer
	clx.IOConnector
	clx.IODisconnector
	clx.MaskReader
	clx.MaskWriter
}

// maskOnlyIO is a controller whose I/O is in the mask form only.
type maskOnlyIO struct{ maskOnlyCaps }

// Emulated debounce samples the level in the form the controller reads:
// a mask-only controller debounces like any other.
func TestEmulatedDebounceOnMaskOnlyIO(t *testing.T) {
	clk := &manualClock{}
	s, err := sim.New(sim.Config{MaskIO: true, EmulateDebounce: true, AfterFunc: clk.AfterFunc})
	must(t, err)
	f, err := clx.New(bg(), maskOnlyIO{s}, clx.Options{AfterFunc: clk.AfterFunc})
	must(t, err)
	defer f.Close(bg())
	rec := &recorder{claim: true}
	_, err = f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 1, Polarity: clx.ActiveHigh, Debounce: 10 * time.Millisecond, ISR: rec.isr})
	must(t, err)
	must(t, s.DrivePad(1, clx.High))
	clk.Advance(20 * time.Millisecond)
	must(t, f.WaitIdle(bg()))
	if fmt.Sprint(rec.levels()) != "[high]" {
		t.Fatalf("delivered %v, want [high]", rec.levels())
	}
}
