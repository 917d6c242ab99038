package cdev_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warthog618/go-gpiocdev"
	"github.com/warthog618/go-gpiosim"
	"golang.org/x/sys/unix"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/cdev"
)

// These tests need a kernel with gpio-sim: they run in the QEMU guest
// (fixtures/qemu/vm.sh bench, make test-vm) and skip elsewhere.
// The chip is removed when the test ends, after everything the test
// registered later (the framework holding its lines) has closed: removing
// a chip with lines still requested is what the kernel's gpio-cdev-uaf
// selftest is about, and it corrupted this guest kernel's memory.
func simChip(t testing.TB, n int) *gpiosim.Chip {
	t.Helper()
	if _, err := os.Stat("/sys/kernel/config/gpio-sim"); err != nil {
		t.Skip("no gpio-sim here (configfs gpio-sim missing): these tests run in the QEMU guest, see make test-vm")
	}
	s, err := gpiosim.NewSim(gpiosim.WithName(fmt.Sprintf("t%d", time.Now().UnixNano()%100000)), gpiosim.WithBank(gpiosim.NewBank("cdev-test", n)))
	if err != nil {
		t.Fatalf("create gpio-sim chip: %v", err)
	}
	t.Cleanup(s.Close)
	return &s.Chips[0]
}

func framework(t testing.TB, chip string) (*clx.Framework, *cdev.Controller) {
	t.Helper()
	c, err := cdev.Open(cdev.Config{Chip: chip})
	if err != nil {
		t.Fatal(err)
	}
	f, err := clx.New(context.Background(), c, clx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close(context.Background()) })
	return f, c
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

func TestGuestOpenByLabelAndIO(t *testing.T) {
	sim := simChip(t, 8)
	f, c := framework(t, "cdev-test")
	if c.Name() != sim.ChipName() {
		t.Fatalf("opened %s, want %s", c.Name(), sim.ChipName())
	}
	in, err := f.ConnectIO(context.Background(), clx.IOConfig{Pins: []int{5, 2}})
	if err != nil {
		t.Fatal(err)
	}
	sim.Pullup(2)
	sim.Pulldown(5)
	buf := []byte{0}
	if err := in.Read(context.Background(), buf); err != nil || buf[0] != 0b10 {
		t.Fatalf("read %02b %v, want 10", buf[0], err)
	}
	out, err := f.ConnectIO(context.Background(), clx.IOConfig{Pins: []int{6}, Direction: clx.Output})
	if err != nil {
		t.Fatal(err)
	}
	if err := out.Write(context.Background(), []byte{1}); err != nil {
		t.Fatal(err)
	}
	if v, _ := sim.Level(6); v != 1 {
		t.Fatalf("gpio-sim sees %d on an output driven high", v)
	}
	if _, err := cdev.Open(cdev.Config{Chip: "no-such-chip"}); !errors.Is(err, clx.ErrInvalidArgument) {
		t.Fatalf("open a missing chip: %v", err)
	}
}

// A line whose interrupt connection just closed can be opened for I/O at
// once: the controller waits for the event request's release (which it
// does in another goroutine) instead of failing with EBUSY.
func TestGuestIOAfterInterruptClose(t *testing.T) {
	simChip(t, 4)
	f, _ := framework(t, "cdev-test")
	ctx := context.Background()
	for i := 0; i < 200; i++ {
		ic, err := f.ConnectInterrupt(ctx, clx.InterruptConfig{Pin: 2, Polarity: clx.ActiveBoth, ISR: func(clx.InterruptContext) bool { return true }})
		if err != nil {
			t.Fatalf("round %d: connect interrupt: %v", i, err)
		}
		if err := ic.Close(); err != nil {
			t.Fatal(err)
		}
		out, err := f.ConnectIO(ctx, clx.IOConfig{Pins: []int{2}, Direction: clx.Output})
		if err != nil {
			t.Fatalf("round %d: I/O right after the interrupt closed: %v", i, err)
		}
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// Edges with kernel timestamps; masking retains status; a level is
// emulated and refires while asserted; an ISR can close its own
// connection.
func TestGuestInterruptSemantics(t *testing.T) {
	sim := simChip(t, 8)
	f, _ := framework(t, sim.ChipName())
	ctx := context.Background()
	sim.Pulldown(1)
	var got atomic.Int32
	var stamp atomic.Int64
	c, err := f.ConnectInterrupt(ctx, clx.InterruptConfig{Pin: 1, Polarity: clx.ActiveHigh, ISR: func(ic clx.InterruptContext) bool {
		if ic.HasControllerTime {
			stamp.Store(int64(ic.ControllerTime))
		}
		got.Add(1)
		return true
	}})
	if err != nil {
		t.Fatal(err)
	}
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	before := time.Duration(ts.Nano())
	sim.Pullup(1)
	waitFor(t, "the rising edge", func() bool { return got.Load() == 1 })
	if s := time.Duration(stamp.Load()); s < before || s > before+10*time.Second {
		t.Fatalf("kernel timestamp %v, edge made at %v", s, before)
	}
	sim.Pulldown(1)
	if err := c.Mask(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		sim.Pullup(1)
		sim.Pulldown(1)
	}
	time.Sleep(50 * time.Millisecond)
	if got.Load() != 1 {
		t.Fatalf("masked pin delivered: %d", got.Load())
	}
	if err := c.Unmask(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "exactly one delivery on unmask", func() bool { return got.Load() == 2 })
	time.Sleep(50 * time.Millisecond)
	if got.Load() != 2 {
		t.Fatalf("unmask delivered %d", got.Load()-1)
	}

	// Level: refires while asserted, until the ISR silences the source.
	sim.Pulldown(3)
	var lv atomic.Int32
	_, err = f.ConnectInterrupt(ctx, clx.InterruptConfig{Pin: 3, Mode: clx.LevelSensitive, Polarity: clx.ActiveHigh, ISR: func(clx.InterruptContext) bool {
		if lv.Add(1) == 4 {
			sim.Pulldown(3)
		}
		return true
	}})
	if err != nil {
		t.Fatal(err)
	}
	sim.Pullup(3)
	waitFor(t, "4 level deliveries", func() bool { return lv.Load() >= 4 })
	time.Sleep(50 * time.Millisecond)
	if n := lv.Load(); n != 4 {
		t.Fatalf("level delivered %d times, want 4", n)
	}

	// Close from inside the ISR: no deadlock, no more deliveries.
	sim.Pulldown(5)
	var self *clx.InterruptConn
	var calls atomic.Int32
	self, err = f.ConnectInterrupt(ctx, clx.InterruptConfig{Pin: 5, Polarity: clx.ActiveBoth, ISR: func(ic clx.InterruptContext) bool {
		calls.Add(1)
		ic.Conn.Close()
		return true
	}})
	if err != nil {
		t.Fatal(err)
	}
	_ = self
	sim.Pullup(5)
	waitFor(t, "the closing ISR", func() bool { return calls.Load() == 1 })
	sim.Pulldown(5)
	time.Sleep(50 * time.Millisecond)
	if calls.Load() != 1 {
		t.Fatalf("closed connection called %d times", calls.Load())
	}
	// The line can be enabled again once released.
	if _, err := f.ConnectInterrupt(ctx, clx.InterruptConfig{Pin: 5, ISR: func(clx.InterruptContext) bool { return true }}); err != nil {
		t.Fatalf("re-enable after close from the ISR: %v", err)
	}
}

// TestGuestSuspendResume: across clx's Suspend and Resume the lines go
// back to the kernel and return as they were — edge, level and masked
// interrupts — and clx's view of them stays true (unmask works after it).
func TestGuestSuspendResume(t *testing.T) {
	sim := simChip(t, 8)
	f, c := framework(t, sim.ChipName())
	ctx := context.Background()
	for _, o := range []int{1, 2, 3} {
		sim.Pulldown(o)
	}
	var edges, masked, level atomic.Int32
	count := func(n *atomic.Int32) clx.ISR { return func(clx.InterruptContext) bool { n.Add(1); return true } }
	if _, err := f.ConnectInterrupt(ctx, clx.InterruptConfig{Pin: 1, Polarity: clx.ActiveBoth, ISR: count(&edges)}); err != nil {
		t.Fatal(err)
	}
	mc, err := f.ConnectInterrupt(ctx, clx.InterruptConfig{Pin: 2, Polarity: clx.ActiveHigh, ISR: count(&masked)})
	if err != nil {
		t.Fatal(err)
	}
	if err := mc.Mask(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = f.ConnectInterrupt(ctx, clx.InterruptConfig{Pin: 3, Mode: clx.LevelSensitive, Polarity: clx.ActiveHigh,
		ISR: func(ic clx.InterruptContext) bool {
			level.Add(1)
			sim.Pulldown(3) // silence the source
			return true
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Suspend(ctx); err != nil {
		t.Fatal(err)
	}
	chip, err := gpiocdev.NewChip(sim.ChipName())
	if err != nil {
		t.Fatal(err)
	}
	defer chip.Close()
	waitFor(t, "the lines released to the kernel", func() bool {
		for _, o := range []int{1, 2, 3} {
			if li, err := chip.LineInfo(o); err != nil || li.Used {
				return false
			}
		}
		return true
	})
	sim.Pullup(1)
	sim.Pulldown(1)
	sim.Pullup(3) // asserted while suspended: fires on resume
	time.Sleep(50 * time.Millisecond)
	if edges.Load() != 0 || level.Load() != 0 {
		t.Fatalf("delivered while suspended: %d edges, %d levels", edges.Load(), level.Load())
	}
	if err := f.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the level asserted across the suspend", func() bool { return level.Load() == 1 })
	sim.Pullup(1)
	waitFor(t, "an edge after resume", func() bool { return edges.Load() == 1 })
	sim.Pullup(2)
	time.Sleep(50 * time.Millisecond)
	if masked.Load() != 0 {
		t.Fatal("a connection masked before the suspend delivered after it")
	}
	if err := mc.Unmask(ctx); err != nil {
		t.Fatalf("unmask after resume: %v", err)
	}
	waitFor(t, "the masked edge on unmask", func() bool { return masked.Load() == 1 })
	if c.Stats().Lost != 0 {
		t.Fatalf("lost events counted across the new requests: %d", c.Stats().Lost)
	}
}
