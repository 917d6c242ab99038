package mcp23017_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/mcp23017"
	"github.com/gpiohil/gpiohil/controllers/mcp23017/model"
)

// rig is the driver under clx, on a model chip on an in-process bus.
type rig struct {
	t    *testing.T
	chip *model.Chip
	bus  *model.Bus
	drv  *mcp23017.Controller
	f    *clx.Framework
	mu   sync.Mutex
	errs []error
}

// newChip puts a model chip at 0x20 on a fast model bus.
func newChip(t *testing.T) (*model.Bus, *model.Chip) {
	t.Helper()
	bus, err := model.NewBus(3_400_000)
	if err != nil {
		t.Fatal(err)
	}
	chip := model.New()
	if err := bus.Attach(0x20, chip); err != nil {
		t.Fatal(err)
	}
	return bus, chip
}

func newRig(t *testing.T, cfg mcp23017.Config) *rig {
	t.Helper()
	bus, chip := newChip(t)
	cfg.Bus, cfg.Address = bus, 0x20
	if cfg.IRQ == nil {
		cfg.IRQ = chip.INTLine(mcp23017.PortA)
	}
	drv, err := mcp23017.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, chip: chip, bus: bus, drv: drv}
	f, err := clx.New(context.Background(), drv, clx.Options{OnError: func(err error) {
		r.mu.Lock()
		r.errs = append(r.errs, err)
		r.mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	r.f = f
	t.Cleanup(func() {
		f.Close(context.Background())
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, err := range r.errs {
			t.Errorf("framework reported: %v", err)
		}
	})
	return r
}

// deliveries collects an interrupt connection's deliveries.
type deliveries struct {
	mu     sync.Mutex
	levels []clx.Level
	ch     chan struct{}
}

func (d *deliveries) isr(ic clx.InterruptContext) bool {
	d.mu.Lock()
	d.levels = append(d.levels, ic.Level)
	d.mu.Unlock()
	select {
	case d.ch <- struct{}{}:
	default:
	}
	return true
}

// wait waits until n deliveries arrived, or fails after a second.
func (d *deliveries) wait(t *testing.T, n int) []clx.Level {
	t.Helper()
	deadline := time.After(time.Second)
	for {
		d.mu.Lock()
		got := append([]clx.Level(nil), d.levels...)
		d.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-d.ch:
		case <-deadline:
			t.Fatalf("%d deliveries, want %d", len(got), n)
		}
	}
}

func (r *rig) connect(cfg clx.InterruptConfig) (*deliveries, *clx.InterruptConn) {
	r.t.Helper()
	d := &deliveries{ch: make(chan struct{}, 1)}
	cfg.ISR = d.isr
	c, err := r.f.ConnectInterrupt(context.Background(), cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	return d, c
}

func (r *rig) drive(pin int, l clx.Level) {
	r.t.Helper()
	if err := r.chip.DrivePad(pin, l); err != nil {
		r.t.Fatal(err)
	}
}

func TestEdgesBothAndOne(t *testing.T) {
	for _, bank1 := range []bool{false, true} {
		r := newRig(t, mcp23017.Config{Bank1: bank1})
		r.drive(3, clx.Low)
		r.drive(12, clx.Low)
		both, _ := r.connect(clx.InterruptConfig{Pin: 3, Mode: clx.Edge, Polarity: clx.ActiveBoth})
		rising, _ := r.connect(clx.InterruptConfig{Pin: 12, Mode: clx.Edge, Polarity: clx.ActiveHigh})
		for k := 0; k < 4; k++ {
			r.drive(3, clx.Level(1-k&1))
			both.wait(t, k+1)
			r.drive(12, clx.Level(1-k&1))
		}
		r.drive(3, clx.High) // a last edge, so that pin 12's last falling edge has had its chance
		got := both.wait(t, 5)
		if want := []clx.Level{1, 0, 1, 0, 1}; !equal(got, want) {
			t.Errorf("bank1=%v: active-both delivered levels %v, want %v", bank1, got, want)
		}
		if got := rising.wait(t, 2); !equal(got, []clx.Level{1, 1}) {
			t.Errorf("bank1=%v: rising delivered %v, want two rising edges", bank1, got)
		}
	}
}

func equal(a, b []clx.Level) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestLevelInterruptRefires(t *testing.T) {
	r := newRig(t, mcp23017.Config{})
	r.drive(5, clx.High)
	d, _ := r.connect(clx.InterruptConfig{Pin: 5, Mode: clx.LevelSensitive, Polarity: clx.ActiveLow})
	r.drive(5, clx.Low)
	d.wait(t, 3) // held low: delivered again after each unmask
	r.drive(5, clx.High)
}

// An I/O read reads GPIO, which ends the chip's interrupt: an edge
// captured by that read is still delivered.
func TestIOReadKeepsPendingEdge(t *testing.T) {
	r := newRig(t, mcp23017.Config{})
	r.drive(1, clx.Low)
	d, ic := r.connect(clx.InterruptConfig{Pin: 1, Mode: clx.Edge, Polarity: clx.ActiveHigh})
	if err := ic.Mask(context.Background()); err != nil {
		t.Fatal(err)
	}
	in, err := r.f.ConnectIO(context.Background(), clx.IOConfig{Pins: []int{9}, Direction: clx.Input})
	if err != nil {
		t.Fatal(err)
	}
	r.drive(1, clx.High) // captured by the chip, masked in clx
	buf := []byte{0}
	if err := in.Read(context.Background(), buf); err != nil {
		t.Fatal(err)
	}
	if err := ic.Unmask(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := d.wait(t, 1); got[0] != clx.High {
		t.Fatalf("delivered level %v, want high", got[0])
	}
}

func TestIOAndPulls(t *testing.T) {
	r := newRig(t, mcp23017.Config{})
	ctx := context.Background()
	out, err := r.f.ConnectIO(ctx, clx.IOConfig{Pins: []int{0, 15}, Direction: clx.Output, Initial: []byte{0b10}})
	if err != nil {
		t.Fatal(err)
	}
	for _, pin := range []int{0, 15} {
		l, driven, _ := r.chip.Pad(pin)
		if want := clx.Level(pin / 15); !driven || l != want {
			t.Errorf("pin %d: level %v driven %v, want %v driven", pin, l, driven, want)
		}
	}
	if err := out.Write(ctx, []byte{0b01}); err != nil {
		t.Fatal(err)
	}
	if l, _, _ := r.chip.Pad(0); l != clx.High {
		t.Errorf("pin 0 after write: %v", l)
	}
	in, err := r.f.ConnectIO(ctx, clx.IOConfig{Pins: []int{7, 8}, Direction: clx.Input, Pull: clx.PullUp})
	if err != nil {
		t.Fatal(err)
	}
	buf := []byte{0}
	if err := in.Read(ctx, buf); err != nil || buf[0] != 0b11 {
		t.Fatalf("pulled-up inputs read %02b, %v; want 11", buf[0], err)
	}
	r.drive(8, clx.Low)
	if err := in.Read(ctx, buf); err != nil || buf[0] != 0b01 {
		t.Fatalf("read %02b, %v; want 01", buf[0], err)
	}
	_, err = r.f.ConnectIO(ctx, clx.IOConfig{Pins: []int{4}, Direction: clx.Input, Pull: clx.PullDown})
	if !errors.Is(err, clx.ErrNotSupported) {
		t.Fatalf("pull-down: %v, want ErrNotSupported", err)
	}
	if p, _ := r.chip.PadPull(4); p != clx.PullNone {
		t.Errorf("refused pull-down left pin 4 pulled %v", p)
	}
}

func TestI2CDevErrors(t *testing.T) {
	if _, err := mcp23017.OpenI2CDev("/nonexistent/i2c-9"); err == nil {
		t.Fatal("opened a missing adapter")
	}
	// /dev/null is no I2C adapter: the ioctl fails, with the path named.
	d, err := mcp23017.OpenI2CDev("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	err = d.Tx(0x20, []byte{0x0a}, make([]byte, 1))
	if err == nil {
		t.Fatal("an I2C transaction on /dev/null succeeded")
	}
	d.Close()
	if err := d.Tx(0x20, []byte{0}, nil); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Tx after Close: %v, want os.ErrClosed", err)
	}
	// A driver on it fails Prepare with ErrBus.
	d, _ = mcp23017.OpenI2CDev("/dev/null")
	defer d.Close()
	drv, err := mcp23017.New(mcp23017.Config{Bus: d, Address: 0x20})
	if err != nil {
		t.Fatal(err)
	}
	if err := drv.Prepare(context.Background()); !errors.Is(err, mcp23017.ErrBus) {
		t.Fatalf("Prepare on a dead bus: %v, want ErrBus", err)
	}
}

// Prepare finds the chip in whichever register map a previous user left
// it, and a missing chip is a bus error.
func TestPrepareFromEitherMap(t *testing.T) {
	for _, left := range []byte{0, mcp23017.IOCONBank, mcp23017.IOCONBank | mcp23017.IOCONSeqOp} {
		for _, want1 := range []bool{false, true} {
			bus, _ := model.NewBus(3_400_000)
			chip := model.New()
			bus.Attach(0x20, chip)
			if err := chip.Transfer([]byte{0x0A, left}, nil); err != nil {
				t.Fatal(err)
			}
			drv, _ := mcp23017.New(mcp23017.Config{Bus: bus, Address: 0x20, Bank1: want1})
			if err := drv.Prepare(context.Background()); err != nil {
				t.Fatalf("left IOCON %#02x, want BANK=%v: %v", left, want1, err)
			}
			if got := chip.Register(mcp23017.IOCON, mcp23017.PortA)&mcp23017.IOCONBank != 0; got != want1 {
				t.Errorf("left IOCON %#02x: BANK=%v after Prepare, want %v", left, got, want1)
			}
			if got := chip.Register(mcp23017.IPOL, mcp23017.PortB); got != 0 {
				t.Errorf("left IOCON %#02x: IPOLB %#02x after Prepare", left, got)
			}
		}
	}
	bus, _ := model.NewBus(3_400_000)
	drv, _ := mcp23017.New(mcp23017.Config{Bus: bus, Address: 0x21})
	if err := drv.Prepare(context.Background()); !errors.Is(err, mcp23017.ErrBus) || !errors.Is(err, mcp23017.ErrNoAck) || !errors.Is(err, clx.ErrControllerGone) {
		t.Fatalf("Prepare with no chip: %v, want ErrBus wrapping ErrNoAck and clx.ErrControllerGone", err)
	}
}
