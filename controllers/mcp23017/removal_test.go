package mcp23017_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/mcp23017"
	"github.com/gpiohil/gpiohil/controllers/mcp23017/model"
)

// nackBus leaves the next nacks transactions' address unacknowledged, as
// a glitch on the bus would, and passes the others to the model bus.
type nackBus struct {
	*model.Bus
	mu    sync.Mutex
	nacks int
	tries int
}

func (b *nackBus) Tx(addr uint16, w, r []byte) error {
	b.mu.Lock()
	b.tries++
	nack := b.nacks > 0
	if nack {
		b.nacks--
	}
	b.mu.Unlock()
	if nack {
		return mcp23017.ErrNoAck
	}
	return b.Bus.Tx(addr, w, r)
}

func (b *nackBus) glitch(n int) (tries func() int) {
	b.mu.Lock()
	b.nacks, b.tries = n, 0
	b.mu.Unlock()
	return func() int {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.tries
	}
}

// An address left unacknowledged fewer times than the driver tries is a
// glitch, ridden out; as many times, the chip is gone.
func TestUnacknowledgedAddressTries(t *testing.T) {
	bus, _ := newChip(t)
	nb := &nackBus{Bus: bus}
	drv, err := mcp23017.New(mcp23017.Config{Bus: nb, Address: 0x20})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	f, err := clx.New(ctx, drv, clx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close(ctx)
	in, err := f.ConnectIO(ctx, clx.IOConfig{Pins: []int{0}})
	if err != nil {
		t.Fatal(err)
	}
	tries := nb.glitch(2)
	if err := in.Read(ctx, make([]byte, 1)); err != nil {
		t.Fatalf("a read through two unacknowledged tries: %v", err)
	}
	if got := tries(); got != 3 {
		t.Errorf("%d bus transactions for a read through two unacknowledged tries, want 3", got)
	}
	tries = nb.glitch(3)
	err = in.Read(ctx, make([]byte, 1))
	if !errors.Is(err, clx.ErrControllerGone) || !errors.Is(err, mcp23017.ErrNoAck) || !errors.Is(err, mcp23017.ErrBus) {
		t.Fatalf("a read through three unacknowledged tries: %v, want clx.ErrControllerGone, ErrNoAck and ErrBus", err)
	}
	if got := tries(); got != 3 {
		t.Errorf("%d bus transactions before the chip was taken for gone, want 3", got)
	}
	select {
	case <-f.Gone():
	default:
		t.Error("the framework was not told the chip is gone")
	}
}

// A chip unplugged under open connections: the first access finds it
// gone, every connection fails with a typed error, and the chip, plugged
// back, serves a new framework.
func TestUnpluggedChip(t *testing.T) {
	r := newRig(t, mcp23017.Config{})
	r.errs = nil
	ctx := context.Background()
	d, ic := r.connect(clx.InterruptConfig{Pin: 3, Mode: clx.Edge, Polarity: clx.ActiveBoth})
	out, err := r.f.ConnectIO(ctx, clx.IOConfig{Pins: []int{9}, Direction: clx.Output, Initial: []byte{1}})
	if err != nil {
		t.Fatal(err)
	}
	r.drive(3, clx.High)
	d.wait(t, 1)
	if l, driven, _ := r.chip.Pad(9); !driven || l != clx.High {
		t.Fatalf("pad 9: level %v driven %v before the unplug, want driven high", l, driven)
	}

	if err := r.bus.Detach(0x20); err != nil {
		t.Fatal(err)
	}
	r.chip.Reset()
	if _, driven, _ := r.chip.Pad(9); driven {
		t.Error("an unplugged chip still drives pad 9")
	}
	err = out.Write(ctx, []byte{0})
	var pe *clx.PinError
	if !errors.Is(err, clx.ErrControllerGone) || !errors.As(err, &pe) || pe.Pin != 9 {
		t.Fatalf("a write to an unplugged chip: %v, want a *clx.PinError for pin 9 wrapping clx.ErrControllerGone", err)
	}
	select {
	case <-ic.Failed():
	case <-time.After(5 * time.Second):
		t.Fatal("the interrupt connection did not fail")
	}
	if err := ic.Err(); !errors.Is(err, clx.ErrControllerGone) || !errors.As(err, &pe) || pe.Pin != 3 {
		t.Errorf("the interrupt connection's error: %v, want a *clx.PinError for pin 3 wrapping clx.ErrControllerGone", err)
	}
	if err := out.Close(); err != nil {
		t.Errorf("closing a connection to an unplugged chip: %v", err)
	}
	if err := ic.Close(); err != nil {
		t.Errorf("closing a connection to an unplugged chip: %v", err)
	}
	if err := r.f.Close(ctx); err != nil {
		t.Errorf("closing the framework of an unplugged chip: %v", err)
	}

	if err := r.bus.Attach(0x20, r.chip); err != nil {
		t.Fatal(err)
	}
	drv, err := mcp23017.New(mcp23017.Config{Bus: r.bus, Address: 0x20, IRQ: r.chip.INTLine(mcp23017.PortA)})
	if err != nil {
		t.Fatal(err)
	}
	f, err := clx.New(ctx, drv, clx.Options{})
	if err != nil {
		t.Fatalf("a new framework on the chip plugged back: %v", err)
	}
	defer f.Close(ctx)
	r.f = f
	d, _ = r.connect(clx.InterruptConfig{Pin: 3, Mode: clx.Edge, Polarity: clx.ActiveBoth})
	r.drive(3, clx.Low)
	if got := d.wait(t, 1); got[0] != clx.Low {
		t.Errorf("delivered %v after the chip came back, want low", got)
	}
}

func TestI2CDevErrorCodes(t *testing.T) {
	err := mcp23017.I2CError("/dev/i2c-1", 0x20, unix.ENXIO)
	if !errors.Is(err, mcp23017.ErrNoAck) || !errors.Is(err, unix.ENXIO) {
		t.Errorf("ENXIO: %v, want ErrNoAck and the errno", err)
	}
	err = mcp23017.I2CError("/dev/i2c-1", 0x20, unix.EIO)
	if errors.Is(err, mcp23017.ErrNoAck) || !errors.Is(err, unix.EIO) {
		t.Errorf("EIO: %v, want the errno and not ErrNoAck", err)
	}
	if err := mcp23017.I2CError("/dev/i2c-1", 0x20, 0); err != nil {
		t.Errorf("no errno: %v", err)
	}
}
