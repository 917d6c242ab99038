package cdev_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
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

type stats struct {
	median, p99 time.Duration
	n           int
}

func summarize(d []time.Duration) stats {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	if len(d) == 0 {
		return stats{}
	}
	return stats{median: d[len(d)/2], p99: d[(len(d)*99+99)/100-1], n: len(d)}
}

func monotonic() time.Duration {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return time.Duration(ts.Nano())
}

// TestGuestMeasure compares, for the same series of gpio-sim toggles, a
// bare go-gpiocdev handler with an ISR through clx on this controller:
// kernel timestamp → handler latency (median, p99, ratio), and the edge
// rate sustained with no lost event.
func TestGuestMeasure(t *testing.T) {
	sim := simChip(t, 4)
	const n = 1000
	// Toggle through the pull attribute kept open (pwrite at 0): an
	// open/write/close per toggle would make the toggler the bottleneck.
	dirs, _ := filepath.Glob("/sys/devices/platform/*/" + sim.ChipName() + "/sim_gpio0/pull")
	if len(dirs) != 1 {
		t.Fatalf("no sysfs pull attribute for line 0 of %s", sim.ChipName())
	}
	pull, err := os.OpenFile(dirs[0], os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer pull.Close()
	up, down := []byte("pull-up"), []byte("pull-down")
	toggle := func(i int) {
		v := down
		if i%2 == 0 {
			v = up
		}
		if _, err := pull.WriteAt(v, 0); err != nil {
			t.Fatal(err)
		}
	}
	measure := func(wait func(int)) {
		sim.Pulldown(0)
		time.Sleep(10 * time.Millisecond)
		for i := 0; i < n; i++ {
			toggle(i)
			wait(i + 1)
		}
	}

	// Bare go-gpiocdev.
	var mu sync.Mutex
	var bare []time.Duration
	var bareSeen atomic.Int32
	var bareLost atomic.Int64
	var last uint32
	var l *gpiocdev.Line
	l, err = gpiocdev.RequestLine(sim.ChipName(), 0, gpiocdev.WithBothEdges, gpiocdev.WithEventBufferSize(cdev.DefaultEventBuffer),
		gpiocdev.WithEventHandler(func(ev gpiocdev.LineEvent) {
			now := monotonic()
			mu.Lock()
			bare = append(bare, now-ev.Timestamp)
			if last != 0 && ev.LineSeqno != last+1 {
				bareLost.Add(int64(ev.LineSeqno - last - 1))
			}
			last = ev.LineSeqno
			mu.Unlock()
			bareSeen.Add(1)
		}))
	if err != nil {
		t.Fatal(err)
	}
	measure(func(k int) { waitFor(t, "bare event", func() bool { return int(bareSeen.Load()) >= k }) })
	l.Close()

	// Through clx on the cdev controller.
	f, c := framework(t, sim.ChipName())
	var viaClx []time.Duration
	var clxSeen atomic.Int32
	_, err = f.ConnectInterrupt(context.Background(), clx.InterruptConfig{Pin: 0, Polarity: clx.ActiveBoth, ISR: func(ic clx.InterruptContext) bool {
		now := monotonic()
		mu.Lock()
		viaClx = append(viaClx, now-ic.ControllerTime)
		mu.Unlock()
		clxSeen.Add(1)
		return true
	}})
	if err != nil {
		t.Fatal(err)
	}
	measure(func(k int) { waitFor(t, "clx delivery", func() bool { return int(clxSeen.Load()) >= k }) })
	b, x := summarize(bare), summarize(viaClx)
	t.Logf("MEASURE latency kernel-timestamp→handler over %d toggles: bare go-gpiocdev median %v p99 %v; clx on cdev median %v p99 %v; ratio median %.2f p99 %.2f",
		n, b.median, b.p99, x.median, x.p99, float64(x.median)/float64(b.median), float64(x.p99)/float64(b.p99))
	// The lines scripts/overhead reads (make bench-vm).
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	t.Logf("OVERHEAD latency-median bare=%.2f clx=%.2f unit=µs", us(b.median), us(x.median))
	t.Logf("OVERHEAD latency-p99 bare=%.2f clx=%.2f unit=µs", us(b.p99), us(x.p99))

	// Sustained rate: toggles paced at rising rates, half a second each;
	// the highest rate with every edge delivered and none lost counts.
	rates := []int{250, 500, 1000, 1500, 2000, 3000, 4000, 6000, 0} // 0: as fast as sysfs allows
	// sustain returns the share of the unpaced toggles delivered, in %.
	sustain := func(name string, seen func() int, lost func() uint64) (unpaced float64) {
		best := 0
		for _, r := range rates {
			sim.Pulldown(0)
			time.Sleep(20 * time.Millisecond)
			s0, l0 := seen(), lost()
			start := time.Now()
			toggles := 0
			for time.Since(start) < 500*time.Millisecond {
				toggle(toggles)
				toggles++
				if r > 0 {
					next := start.Add(time.Duration(toggles) * time.Second / time.Duration(r))
					for time.Now().Before(next) {
					}
				}
			}
			achieved := float64(toggles) / time.Since(start).Seconds()
			time.Sleep(200 * time.Millisecond)
			got, lostN := seen()-s0, lost()-l0
			t.Logf("MEASURE rate %s: asked %d/s, toggled %.0f/s, %d of %d delivered, %d lost", name, r, achieved, got, toggles, lostN)
			if r == 0 {
				unpaced = 100 * float64(got) / float64(toggles)
			}
			if got == toggles && lostN == 0 && int(achieved) > best {
				best = int(achieved)
			}
		}
		t.Logf("MEASURE sustained %s: %d edges/s with none lost", name, best)
		return unpaced
	}
	clxUnpaced := sustain("clx on cdev", func() int { return int(clxSeen.Load()) }, func() uint64 { return c.Stats().Lost })
	f.Close(context.Background())
	var bareRate atomic.Int32
	last = 0
	bareLost.Store(0)
	l2, err := gpiocdev.RequestLine(sim.ChipName(), 0, gpiocdev.WithBothEdges, gpiocdev.WithEventBufferSize(cdev.DefaultEventBuffer),
		gpiocdev.WithEventHandler(func(ev gpiocdev.LineEvent) {
			if last != 0 && ev.LineSeqno != last+1 {
				bareLost.Add(int64(ev.LineSeqno - last - 1))
			}
			last = ev.LineSeqno
			bareRate.Add(1)
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	bareUnpaced := sustain("bare go-gpiocdev", func() int { return int(bareRate.Load()) }, func() uint64 { return uint64(bareLost.Load()) })
	t.Logf("OVERHEAD unpaced-delivered bare=%.1f clx=%.1f unit=%%", bareUnpaced, clxUnpaced)
}
