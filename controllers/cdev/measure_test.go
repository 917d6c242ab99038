package cdev_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warthog618/go-gpiocdev"
	"golang.org/x/sys/unix"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/cdev"
)

// TestGuestMeasure measures clx's cost on this controller against bare
// go-gpiocdev, in the QEMU guest (make bench-vm prints the table):
//
//   - latency, kernel edge timestamp → handler, on one request with the
//     events interleaved: odd events are stamped when go-gpiocdev hands
//     them to the controller (what a bare go-gpiocdev handler sees), even
//     ones when clx runs the ISR. Each sample holds one clock read, and
//     both sides see the same scheduling (which moves the guest's medians
//     by tens of µs between runs), so the ratio is clx's own share;
//   - the highest paced edge rate with nothing lost, and the share of
//     unpaced toggles delivered: a bare go-gpiocdev request, then a clx
//     connection, each only counting.
//
// It prints MEASURE lines for people and OVERHEAD lines for
// scripts/overhead.
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
	now := newMonoClock()

	// Latency: odd events stamped by bare go-gpiocdev's handler, even ones
	// by clx's ISR. Both run in go-gpiocdev's event goroutine, the hook
	// first, so bareStamped needs no lock.
	f, c := framework(t, sim.ChipName())
	var mu sync.Mutex
	var bare, viaClx []time.Duration
	var seen atomic.Int32
	bareStamped := false
	cdev.SetEventHook(c, func(ev gpiocdev.LineEvent) {
		bareStamped = ev.LineSeqno%2 == 1
		if !bareStamped {
			return
		}
		at := now()
		mu.Lock()
		bare = append(bare, at-ev.Timestamp)
		mu.Unlock()
	})
	conn, err := f.ConnectInterrupt(context.Background(), clx.InterruptConfig{Pin: 0, Polarity: clx.ActiveBoth, ISR: func(ic clx.InterruptContext) bool {
		if !bareStamped {
			at := now()
			mu.Lock()
			viaClx = append(viaClx, at-ic.ControllerTime)
			mu.Unlock()
		}
		seen.Add(1)
		return true
	}})
	if err != nil {
		t.Fatal(err)
	}
	sim.Pulldown(0)
	time.Sleep(10 * time.Millisecond)
	seen.Store(0)
	mu.Lock()
	bare, viaClx = bare[:0], viaClx[:0]
	mu.Unlock()
	for i := 0; i < n; i++ {
		toggle(i)
		waitFor(t, "clx delivery", func() bool { return int(seen.Load()) >= i+1 })
	}
	cdev.SetEventHook(c, nil)
	conn.Close()
	mu.Lock()
	b, x := summarize(bare), summarize(viaClx)
	mu.Unlock()
	if b.n+x.n != n || b.n < n/2-1 || x.n < n/2-1 {
		t.Fatalf("%d events stamped at go-gpiocdev's handler and %d at clx's ISR, for %d toggles", b.n, x.n, n)
	}
	// What one stamp costs, for the reader (the guest's clock is slow).
	const reads = 1000
	t0 := now()
	for i := 0; i < reads; i++ {
		now()
	}
	t.Logf("MEASURE one clock read in the guest: %v", (now()-t0)/reads)
	t.Logf("MEASURE latency kernel-timestamp→handler over %d toggles, interleaved: bare go-gpiocdev median %v p99 %v; clx on cdev median %v p99 %v; ratio median %.2f p99 %.2f",
		n, b.median, b.p99, x.median, x.p99, float64(x.median)/float64(b.median), float64(x.p99)/float64(b.p99))
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
	var counted atomic.Int32
	conn, err = f.ConnectInterrupt(context.Background(), clx.InterruptConfig{Pin: 0, Polarity: clx.ActiveBoth, ISR: func(clx.InterruptContext) bool {
		counted.Add(1)
		return true
	}})
	if err != nil {
		t.Fatal(err)
	}
	clxUnpaced := sustain("clx on cdev", func() int { return int(counted.Load()) }, func() uint64 { return c.Stats().Lost })
	conn.Close()
	f.Close(context.Background())

	var bareCount atomic.Int32
	var bareLost atomic.Int64
	var last uint32
	l, err := gpiocdev.RequestLine(sim.ChipName(), 0, gpiocdev.WithBothEdges, gpiocdev.WithEventBufferSize(cdev.DefaultEventBuffer),
		gpiocdev.WithEventHandler(func(ev gpiocdev.LineEvent) {
			if last != 0 && ev.LineSeqno != last+1 {
				bareLost.Add(int64(ev.LineSeqno - last - 1))
			}
			last = ev.LineSeqno
			bareCount.Add(1)
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	bareUnpaced := sustain("bare go-gpiocdev", func() int { return int(bareCount.Load()) }, func() uint64 { return uint64(bareLost.Load()) })
	t.Logf("OVERHEAD unpaced-delivered bare=%.1f clx=%.1f unit=%%", bareUnpaced, clxUnpaced)
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

// newMonoClock returns CLOCK_MONOTONIC, the clock of the kernel's event
// timestamps, read through Go's own clock (the vDSO) rather than a system
// call per reading: a stamp then costs both paths the same little. The
// offset between the two is taken from the closest of a few bracketed
// system-call readings.
func newMonoClock() func() time.Duration {
	base := time.Now()
	sys := func() time.Duration {
		var ts unix.Timespec
		unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
		return time.Duration(ts.Nano())
	}
	var offset, best time.Duration = 0, -1
	for i := 0; i < 20; i++ {
		a := sys()
		s := time.Since(base)
		b := sys()
		if best < 0 || b-a < best {
			best, offset = b-a, a+(b-a)/2-s
		}
	}
	return func() time.Duration { return offset + time.Since(base) }
}
