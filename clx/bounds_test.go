package clx_test

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/sim"
)

// A PinError names what it has, pin 0 and bank 0 included, and trims the
// cause's "clx: " prefix once.
func TestPinErrorNamesWhatItHas(t *testing.T) {
	for _, c := range []struct {
		err  clx.PinError
		want string
	}{
		{clx.PinError{Op: "enable", Pin: 0, Bank: 0, Err: clx.ErrInvalidArgument}, "clx: enable pin 0 (bank 0): invalid argument"},
		{clx.PinError{Op: "enable", Pin: -1, Bank: -1, Err: clx.ErrInvalidArgument}, "clx: enable: invalid argument"},
		{clx.PinError{Op: "connect", Pin: 3, Bank: -1, Holder: "ack", Err: clx.ErrSharingViolation}, `clx: connect pin 3 held by "ack": sharing violation`},
		{clx.PinError{Op: "read", Pin: -1, Bank: 2, Err: errors.New("clx: ")}, "clx: read (bank 2): clx: "},
		{clx.PinError{Op: "read", Pin: -1, Bank: -1, Err: errors.New("clx: x")}, "clx: read: x"},
	} {
		if got := c.err.Error(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.err, got, c.want)
		}
	}
}

// Banks and pins are checked at both ends of their range.
func TestBankAndPinBounds(t *testing.T) {
	r := newSimRig(t, "mmio", sim.Config{Pins: 16, PinsPerBank: 8}, clx.Options{})
	for _, bank := range []int{-1, 2} {
		if err := r.f.SetBankPower(bg(), bank, false); !errors.Is(err, clx.ErrInvalidArgument) {
			t.Errorf("bank power on bank %d: %v", bank, err)
		}
	}
	must(t, r.f.SetBankPower(bg(), 1, false))
	must(t, r.f.SetBankPower(bg(), 1, true))
	for _, pin := range []int{-1, 16} {
		_, err := r.f.ConnectIO(bg(), clx.IOConfig{Pins: []int{pin}, Direction: clx.Input})
		if !errors.Is(err, clx.ErrInvalidArgument) || !strings.Contains(err.Error(), "out of range 0..15") {
			t.Errorf("pin %d: %v", pin, err)
		}
	}
	c, err := r.f.ConnectIO(bg(), clx.IOConfig{Pins: []int{0, 15}, Direction: clx.Input})
	if err != nil {
		t.Fatalf("pins 0 and 15: %v", err)
	}
	must(t, c.Close())
}

// A controller raising its primary interrupt for a bank that does not
// exist is ignored; the banks that do keep working.
func TestRaiseOutOfRange(t *testing.T) {
	fc := newFake(fakeSpec{pins: 16, perBank: 8})
	f := fc.framework(t)
	fc.raise(2)
	fc.raise(-2)
	fc.raise(clx.AllBanks) // the two banks there are, and no third
	if errs, _ := f.Errors(); len(errs) != 0 {
		t.Fatalf("raising banks that do not exist, or all: %v", errs)
	}
	delivered := make(chan clx.InterruptContext, 4)
	c, err := f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 0, ISR: func(ic clx.InterruptContext) bool {
		delivered <- ic
		return true
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fc.fire(0)
	ic := <-delivered
	if ic.Pin != 0 {
		t.Fatalf("delivered %+v", ic)
	}
}

// A controller's errors on the second bank name that bank, and the pin by
// its controller-relative number (bank × pins per bank + index).
func TestDriverErrorsNameTheSecondBanksPins(t *testing.T) {
	for _, c := range []struct {
		name      string
		spec      fakeSpec
		op        string
		pin, bank int
	}{
		{"failing clear", fakeSpec{failClear: 1 << 1}, "clear-active", 9, 1},
		{"active outside expected", fakeSpec{phantom: 1 << 6}, "query-active", 14, 1},
		{"failing query", fakeSpec{errOn: "query"}, "query-active", -1, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.spec.pins, c.spec.perBank = 16, 8
			fc := newFake(c.spec)
			f := fc.framework(t)
			_, err := f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 9, ISR: func(clx.InterruptContext) bool { return true }})
			must(t, err)
			fc.fire(9)
			errs, _ := f.Errors()
			var pe *clx.PinError
			if len(errs) == 0 || !errors.As(errs[0], &pe) || !errors.Is(errs[0], clx.ErrControllerDriver) {
				t.Fatalf("errors %v", errs)
			}
			if pe.Op != c.op || pe.Pin != c.pin || pe.Bank != c.bank {
				t.Errorf("%v: op %s pin %d bank %d, want %s pin %d bank %d", pe, pe.Op, pe.Pin, pe.Bank, c.op, c.pin, c.bank)
			}
		})
	}
}

// Options{} storms at DefaultStormThreshold: the pin is disabled after
// exactly that many unclaimed deliveries in a row, plus the one that
// crossed it.
func TestDefaultStormThreshold(t *testing.T) {
	r := newSimRig(t, "mmio", sim.Config{}, clx.Options{})
	var calls atomic.Int32
	c := r.connect(clx.InterruptConfig{Pin: 3, Mode: clx.LevelSensitive, ISR: func(clx.InterruptContext) bool {
		calls.Add(1)
		return false
	}})
	r.drive(3, clx.High)
	select {
	case <-c.Failed():
	case <-time.After(10 * time.Second):
		t.Fatal("no storm detected")
	}
	var se *clx.StormError
	if !errors.As(c.Err(), &se) || se.Count != clx.DefaultStormThreshold+1 || calls.Load() != clx.DefaultStormThreshold+1 {
		t.Fatalf("storm %v after %d deliveries, want %d", c.Err(), calls.Load(), clx.DefaultStormThreshold+1)
	}
}

// Every error reported outside a call reaches Options.OnError once and is
// counted in Errors' total.
func TestReportedErrorsReachOnErrorAndTheTotal(t *testing.T) {
	var got []error
	fc := newFake(fakeSpec{pins: 8, perBank: 8, failClear: 1 << 1})
	f, err := clx.New(bg(), fc, clx.Options{OnError: func(err error) { got = append(got, err) }})
	must(t, err)
	defer f.Close(bg())
	_, err = f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 1, ISR: func(clx.InterruptContext) bool { return true }})
	must(t, err)
	fc.fire(1) // the failed clear, and the retry pass's failed clear
	recent, total := f.Errors()
	if total != 2 || len(recent) != 2 || len(got) != 2 || got[1] != recent[1] {
		t.Fatalf("total %d, recent %v, OnError saw %v", total, recent, got)
	}
}
