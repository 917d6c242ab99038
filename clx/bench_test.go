package clx_test

import (
	"context"
	"math/bits"
	"sync"
	"testing"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/sim"
)

// bareIRQ is the floor for edge dispatch: the same sim controller raising
// its primary interrupt into the least a handler must do — query, clear,
// call the handler — with no framework.
type bareIRQ struct {
	s       *sim.Controller
	handler func(pin int)
	// describe: the handler is also given the event's level and
	// timestamp, as clx gives its routines.
	describe bool
	// guaranteed: also what the contract guarantees — controller calls
	// serialised per bank (released around the handler), a panicking
	// controller or handler contained.
	guaranteed bool
	mu         sync.Mutex
	ev         clx.Event
}

func (b *bareIRQ) Raise(bank int) {
	ctx := context.Background()
	if !b.guaranteed {
		active, _ := b.s.QueryActiveInterrupts(ctx, bank, ^uint64(0))
		for m := active; m != 0; m &= m - 1 {
			i := bits.TrailingZeros64(m)
			if b.describe {
				b.ev, _ = b.s.InterruptEvent(ctx, bank, i)
			}
			b.s.ClearActiveInterrupts(ctx, bank, 1<<i)
			b.handler(i)
		}
		return
	}
	var active uint64
	b.mu.Lock()
	guarded(func() { active, _ = b.s.QueryActiveInterrupts(ctx, bank, ^uint64(0)) })
	for m := active; m != 0; m &= m - 1 {
		i := bits.TrailingZeros64(m)
		guarded(func() { b.ev, _ = b.s.InterruptEvent(ctx, bank, i) })
		guarded(func() { b.s.ClearActiveInterrupts(ctx, bank, 1<<i) })
		b.mu.Unlock()
		guarded(func() { b.handler(i) })
		b.mu.Lock()
	}
	b.mu.Unlock()
}

// BenchmarkEdgeDispatch: one active-both edge per iteration, from the pad
// to the handler. "clx" goes through the framework; "bare" is the same
// controller calling a handler directly (the floor); "bare-described"
// also reads the event's level and timestamp, which clx delivers;
// "bare-guaranteed" also serialises the controller calls and contains
// panics, as the contract requires. The ratio of their ns/op is the
// framework's cost.
func BenchmarkEdgeDispatch(b *testing.B) {
	for _, name := range []string{"bare", "bare-described", "bare-guaranteed"} {
		b.Run(name, func(b *testing.B) { benchBareDispatch(b, name) })
	}
	for _, sc := range []struct {
		name string
		cfg  sim.Config
		opts clx.Options
	}{
		{"clx", sim.Config{}, clx.Options{}},
		{"clx-emulated-both", sim.Config{EmulateBothEdges: true}, clx.Options{}},
		// The cost of Options.StampDispatch: one wall-clock read a pass.
		{"clx-stamped", sim.Config{}, clx.Options{StampDispatch: true}},
		// The cost of containing controller panics (never off outside
		// this benchmark).
		{"clx-unguarded", sim.Config{}, clx.Unguarded(clx.Options{})},
	} {
		b.Run(sc.name, func(b *testing.B) {
			r := newSimRig(b, sc.name, sc.cfg, sc.opts)
			n := 0
			r.drive(1, clx.High)
			r.connect(clx.InterruptConfig{Pin: 1, Polarity: clx.ActiveBoth, ISR: func(clx.InterruptContext) bool { n++; return true }})
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r.sim.DrivePad(1, clx.Level(i&1))
			}
			b.StopTimer()
			if n != b.N {
				b.Fatalf("%d deliveries for %d edges", n, b.N)
			}
		})
	}
}

// benchBareDispatch is the floor of BenchmarkEdgeDispatch.
func benchBareDispatch(b *testing.B, name string) {
	s, _ := sim.New(sim.Config{})
	ctx := context.Background()
	n := 0
	irq := &bareIRQ{s: s, handler: func(int) { n++ }, describe: name == "bare-described", guaranteed: name == "bare-guaranteed"}
	must(b, s.Prepare(ctx))
	must(b, s.Start(ctx, irq))
	must(b, s.EnableInterrupt(ctx, &clx.InterruptRequest{Bank: 0, Pin: 1, Polarity: clx.ActiveBoth}))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.DrivePad(1, clx.Level(i&1^1))
	}
	b.StopTimer()
	if n != b.N {
		b.Fatalf("%d deliveries for %d edges", n, b.N)
	}
}

// guarded runs fn with a panic contained, as clx runs every controller
// call.
func guarded(fn func()) {
	defer func() { _ = recover() }()
	fn()
}

// BenchmarkIO: a 4-pin write and read through a clx connection vs the same
// controller calls made directly (the floor).
func BenchmarkIO(b *testing.B) {
	pins := []int{3, 9, 17, 30}
	ctx := context.Background()
	b.Run("write/direct", func(b *testing.B) {
		s, _ := sim.New(sim.Config{})
		must(b, s.ConnectIOPins(ctx, &clx.IORequest{Bank: 0, Pins: pins, Direction: clx.Output}))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			s.WritePins(ctx, 0, pins, uint64(i&15))
		}
	})
	b.Run("write/clx", func(b *testing.B) {
		r := newSimRig(b, "", sim.Config{}, clx.Options{})
		c := r.connectIO(clx.IOConfig{Pins: pins, Direction: clx.Output})
		buf := []byte{0}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			buf[0] = byte(i & 15)
			c.Write(ctx, buf)
		}
	})
	b.Run("read/direct", func(b *testing.B) {
		s, _ := sim.New(sim.Config{})
		must(b, s.ConnectIOPins(ctx, &clx.IORequest{Bank: 0, Pins: pins, Direction: clx.Input}))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			s.ReadPins(ctx, 0, pins)
		}
	})
	// The two guarantees clx's I/O keeps, on a bare call: controller calls
	// serialised per bank, a panicking controller contained.
	b.Run("write/direct-guaranteed", func(b *testing.B) {
		s, _ := sim.New(sim.Config{})
		must(b, s.ConnectIOPins(ctx, &clx.IORequest{Bank: 0, Pins: pins, Direction: clx.Output}))
		var mu sync.Mutex
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			mu.Lock()
			guarded(func() { s.WritePins(ctx, 0, pins, uint64(i&15)) })
			mu.Unlock()
		}
	})
	b.Run("read/direct-guaranteed", func(b *testing.B) {
		s, _ := sim.New(sim.Config{})
		must(b, s.ConnectIOPins(ctx, &clx.IORequest{Bank: 0, Pins: pins, Direction: clx.Input}))
		var mu sync.Mutex
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			mu.Lock()
			guarded(func() { s.ReadPins(ctx, 0, pins) })
			mu.Unlock()
		}
	})
	b.Run("read/clx", func(b *testing.B) {
		r := newSimRig(b, "", sim.Config{}, clx.Options{})
		c := r.connectIO(clx.IOConfig{Pins: pins, Direction: clx.Input})
		buf := []byte{0}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			c.Read(ctx, buf)
		}
	})
}

// Steady-state edge dispatch through clx allocates nothing.
func TestDispatchAllocatesNothing(t *testing.T) {
	r := newSimRig(t, "mmio", sim.Config{}, clx.Options{})
	r.connect(clx.InterruptConfig{Pin: 1, Polarity: clx.ActiveBoth, ISR: func(clx.InterruptContext) bool { return true }})
	l := clx.Low
	allocs := testing.AllocsPerRun(1000, func() {
		l = 1 - l
		r.sim.DrivePad(1, l)
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per edge dispatch", allocs)
	}
}
