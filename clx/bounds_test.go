package clx_test

import (
	"errors"
	"strings"
	"testing"

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
		if !errors.Is(err, clx.ErrInvalidArgument) || !strings.Contains(err.Error(), "pin out of range 0..15") {
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
