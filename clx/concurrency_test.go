package clx_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/sim"
)

// Several goroutines toggle their own stimulus pins while responder ISRs
// answer on ack pins of the same bank through I/O connections, and another
// goroutine masks and unmasks a third pin: every stimulus edge gets exactly
// one answer, nothing deadlocks, and -race finds nothing.
func TestConcurrentResponders(t *testing.T) {
	for _, sc := range []struct {
		name string
		cfg  sim.Config
	}{{"mmio", sim.Config{}}, {"bus", sim.Config{BusAttached: true}}, {"emulated-both", sim.Config{EmulateBothEdges: true}},
		{"independent-io", sim.Config{IndependentIO: true, Pins: 16, PinsPerBank: 4}}} {
		t.Run(sc.name, func(t *testing.T) {
			r := newSimRig(t, sc.name, sc.cfg, clx.Options{})
			const pairs, edges = 3, 300
			var acks [pairs]atomic.Int32
			for p := 0; p < pairs; p++ {
				stim, ack := 2*p, 2*p+1
				out := r.connectIO(clx.IOConfig{Pins: []int{ack}, Direction: clx.Output})
				r.sim.OnPadChange(func(e sim.PadEvent) {
					if e.Pin == ack {
						acks[p].Add(1)
					}
				})
				r.drive(stim, clx.Low)
				r.connect(clx.InterruptConfig{Pin: stim, Polarity: clx.ActiveBoth, ISR: func(ic clx.InterruptContext) bool {
					// Answer by mirroring the stimulus level.
					if err := out.Write(context.Background(), []byte{byte(ic.Level)}); err != nil {
						t.Error(err)
					}
					return true
				}})
			}
			masker := r.connect(clx.InterruptConfig{Pin: 7, ISR: func(clx.InterruptContext) bool { return true }})
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					_ = masker.Mask(bg())
					_ = r.sim.DrivePad(7, clx.High)
					_ = masker.Unmask(bg())
					_ = r.sim.DrivePad(7, clx.Low)
				}
			}()
			var drivers sync.WaitGroup
			for p := 0; p < pairs; p++ {
				drivers.Add(1)
				go func(stim int) {
					defer drivers.Done()
					l := clx.Low
					for i := 0; i < edges; i++ {
						l = 1 - l
						if err := r.sim.DrivePad(stim, l); err != nil {
							t.Error(err)
						}
						// Like a probe, wait for the answer before the
						// next edge: faster edges coalesce in the status
						// register, as on real hardware.
						waitUntil(t, "the ack", func() bool {
							v, _, _ := r.sim.Pad(stim + 1)
							return v == l
						})
					}
				}(2 * p)
			}
			drivers.Wait()
			close(stop)
			wg.Wait()
			r.idle()
			for p := 0; p < pairs; p++ {
				if n := acks[p].Load(); n != edges {
					t.Errorf("pair %d: %d ack edges for %d stimulus edges", p, n, edges)
				}
			}
			if errs, n := r.f.Errors(); n != 0 {
				t.Fatalf("dispatch errors: %v", errs)
			}
		})
	}
}

// Closing connections and the framework while edges are being dispatched
// neither hangs nor races.
func TestCloseDuringDispatch(t *testing.T) {
	s, err := sim.New(sim.Config{BusAttached: true})
	must(t, err)
	f, err := clx.New(bg(), s, clx.Options{})
	must(t, err)
	var conns []*clx.InterruptConn
	for pin := 0; pin < 4; pin++ {
		c, err := f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: pin, Polarity: clx.ActiveBoth, ISR: func(clx.InterruptContext) bool {
			time.Sleep(10 * time.Microsecond)
			return true
		}})
		must(t, err)
		conns = append(conns, c)
	}
	var wg sync.WaitGroup
	for pin := 0; pin < 4; pin++ {
		wg.Add(1)
		go func(pin int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				_ = s.DrivePad(pin, clx.Level(i&1))
			}
		}(pin)
	}
	for _, c := range conns[:2] {
		must(t, c.Close())
	}
	ctx, cancel := context.WithTimeout(bg(), 10*time.Second)
	defer cancel()
	must(t, f.Close(ctx))
	wg.Wait()
	for _, c := range conns {
		must(t, c.Close())
	}
}

// An ISR may close its own connection.
func TestCloseFromOwnISR(t *testing.T) {
	r := newSimRig(t, "mmio", sim.Config{}, clx.Options{})
	var c *clx.InterruptConn
	var calls atomic.Int32
	c = r.connect(clx.InterruptConfig{Pin: 1, Polarity: clx.ActiveBoth, ISR: func(clx.InterruptContext) bool {
		calls.Add(1)
		must(t, c.Close())
		return true
	}})
	r.drive(1, clx.High)
	r.drive(1, clx.Low)
	if calls.Load() != 1 {
		t.Fatalf("%d calls after closing from the ISR", calls.Load())
	}
}

// Two writers of one output connection on a controller whose I/O needs
// no bank lock (IndependentIO): the connection still serialises them, so
// what it reads back is what the line was last written. The first writer
// is held inside the controller, its level already on the line, while the
// second tries to write past it.
func TestWritersOfOneConnectionKeepLatchAndLineTogether(t *testing.T) {
	fc := newFake(fakeSpec{pins: 8, perBank: 8, flags: clx.IndependentIO})
	f := fc.framework(t)
	out, err := f.ConnectIO(bg(), clx.IOConfig{Pins: []int{3}, Direction: clx.Output})
	must(t, err)
	inside, release := make(chan struct{}), make(chan struct{})
	var held atomic.Bool
	fc.mu.Lock()
	fc.afterWrite = func(int) {
		if held.CompareAndSwap(false, true) {
			close(inside)
			<-release
		}
	}
	fc.mu.Unlock()
	first := make(chan error, 1)
	go func() { first <- out.Write(bg(), []byte{1}) }()
	<-inside
	second := make(chan error, 1)
	go func() { second <- out.Write(bg(), []byte{0}) }()
	// The second writer must wait for the first; if it does not, it is
	// done well within this.
	passed := false
	select {
	case err := <-second:
		must(t, err)
		passed = true
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	must(t, <-first)
	if !passed {
		must(t, <-second)
	}
	buf := []byte{0}
	must(t, out.Read(bg(), buf))
	if line := fc.level(3); (buf[0] == 1) != line {
		t.Fatalf("the connection reads back %d, the line was last written %v", buf[0], line)
	}
}

// Two writers of one output connection spanning two banks: the bank locks
// alone would let the second write the first bank while the first writes
// the second, both updating the connection's readback latch at once. The
// connection serialises them: the first writer is held inside the
// controller on the second bank while the second starts on the first.
func TestWritersOfOneConnectionAcrossBanksTakeTurns(t *testing.T) {
	fc := newFake(fakeSpec{pins: 16, perBank: 8})
	f := fc.framework(t)
	out, err := f.ConnectIO(bg(), clx.IOConfig{Pins: []int{3, 11}, Direction: clx.Output})
	must(t, err)
	inside, release := make(chan struct{}), make(chan struct{})
	var held, holding, overlapped atomic.Bool
	fc.mu.Lock()
	fc.afterWrite = func(bank int) {
		if bank == 1 && held.CompareAndSwap(false, true) {
			holding.Store(true)
			close(inside)
			<-release
			return
		}
		if holding.Load() {
			overlapped.Store(true)
		}
	}
	fc.mu.Unlock()
	first := make(chan error, 1)
	go func() { first <- out.Write(bg(), []byte{0b11}) }()
	<-inside
	second := make(chan error, 1)
	go func() { second <- out.Write(bg(), []byte{0b00}) }()
	// Time for the second writer to reach the controller, if nothing
	// holds it back.
	time.Sleep(100 * time.Millisecond)
	holding.Store(false)
	close(release)
	must(t, <-first)
	must(t, <-second)
	if overlapped.Load() {
		t.Fatal("the second writer wrote bank 0 while the first was inside its write of bank 1")
	}
	buf := []byte{0}
	must(t, out.Read(bg(), buf))
	if buf[0] != 0 || fc.level(3) || fc.level(11) {
		t.Fatalf("the connection reads back %02b; the lines were last written 00 (line 3 %v, line 11 %v)", buf[0], fc.level(3), fc.level(11))
	}
}
