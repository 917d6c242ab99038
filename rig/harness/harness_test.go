package harness_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/sim"
	"github.com/gpiohil/gpiohil/fixtures"
	"github.com/gpiohil/gpiohil/rig/harness"
	"github.com/gpiohil/gpiohil/rig/mcu"
	"github.com/gpiohil/gpiohil/rig/proto"
	"github.com/gpiohil/gpiohil/rig/virtual"
)

type rig struct {
	t   *testing.T
	sim *sim.Controller
	f   *clx.Framework
	v   *virtual.MCU
	h   *harness.Harness
	c   *mcu.Client
	ctx context.Context
}

// newRig builds the sim tier by hand: sim controller under clx, a virtual
// MCU on a pty with a client, and wires MCU pin n ↔ target pin 10+n.
func newRig(t *testing.T, wires int, delay time.Duration) *rig {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	s, err := sim.New(sim.Config{})
	must(t, err)
	f, err := clx.New(ctx, s, clx.Options{})
	must(t, err)
	t.Cleanup(func() { f.Close(context.Background()) })
	v, err := virtual.New(virtual.Config{})
	must(t, err)
	h := harness.New(v, s)
	t.Cleanup(h.Close)
	for n := 0; n < wires; n++ {
		must(t, h.Connect(harness.Wire{Name: "w" + string(rune('0'+n)), MCUPin: n, TargetPin: 10 + n, Delay: delay}))
	}
	path, err := v.Start(ctx)
	must(t, err)
	t.Cleanup(func() { v.Close() })
	c, err := mcu.Open(ctx, path, mcu.Options{})
	must(t, err)
	t.Cleanup(func() { c.Close() })
	return &rig{t: t, sim: s, f: f, v: v, h: h, c: c, ctx: ctx}
}

func (r *rig) targetRead(pin int, pull clx.Pull) clx.Level {
	r.t.Helper()
	in, err := r.f.ConnectIO(r.ctx, clx.IOConfig{Pins: []int{pin}, Pull: pull})
	must(r.t, err)
	defer in.Close()
	buf := []byte{0}
	must(r.t, in.Read(r.ctx, buf))
	return clx.Level(buf[0] & 1)
}

func (r *rig) mcuRead(pin int) bool {
	r.t.Helper()
	l, err := r.c.ReadPins(r.ctx)
	must(r.t, err)
	return l&(1<<pin) != 0
}

func TestLevelsBothWays(t *testing.T) {
	r := newRig(t, 2, 0)
	for _, high := range []bool{true, false} {
		d := proto.DriveLow
		if high {
			d = proto.DriveHigh
		}
		must(t, r.c.SetPin(r.ctx, 0, d, proto.PullNone))
		if got := r.targetRead(10, clx.PullNone); (got == clx.High) != high {
			t.Fatalf("MCU drives %v, target reads %v", d, got)
		}
	}
	must(t, r.c.SetPin(r.ctx, 1, proto.DriveHiZ, proto.PullNone))
	out, err := r.f.ConnectIO(r.ctx, clx.IOConfig{Pins: []int{11}, Direction: clx.Output})
	must(t, err)
	for _, v := range []byte{1, 0, 1} {
		must(t, out.Write(r.ctx, []byte{v}))
		if got := r.mcuRead(1); got != (v == 1) {
			t.Fatalf("target drives %d, MCU reads %v", v, got)
		}
	}
	out.Close()
	// Pulls cross the wire: the MCU hi-z without pull senses the target's.
	if got := r.mcuRead(1); got {
		t.Fatal("released target pin still reads high")
	}
	in, err := r.f.ConnectIO(r.ctx, clx.IOConfig{Pins: []int{11}, Pull: clx.PullUp})
	must(t, err)
	if !r.mcuRead(1) {
		t.Fatal("target pull-up not sensed by the MCU")
	}
	in.Close()
	must(t, r.c.SetPin(r.ctx, 1, proto.DriveHiZ, proto.PullUp))
	if got := r.targetRead(11, clx.PullNone); got != clx.High {
		t.Fatal("MCU pull-up not sensed by the target")
	}
}

func TestFaults(t *testing.T) {
	r := newRig(t, 3, 0)
	must(t, r.h.Inject(fixtures.Fault{Wire: "w0", Kind: fixtures.Open}))
	must(t, r.c.SetPin(r.ctx, 0, proto.DriveHigh, proto.PullNone))
	if r.targetRead(10, clx.PullNone) != clx.Low {
		t.Fatal("open wire carried a level")
	}
	must(t, r.h.Inject(fixtures.Fault{Wire: "w0"}))
	if r.targetRead(10, clx.PullNone) != clx.High {
		t.Fatal("healed wire carries nothing")
	}
	must(t, r.h.Inject(fixtures.Fault{Wire: "w1", Kind: fixtures.StuckAt0}))
	must(t, r.c.SetPin(r.ctx, 1, proto.DriveHigh, proto.PullNone))
	if r.targetRead(11, clx.PullUp) != clx.Low {
		t.Fatal("stuck-at-0 wire read high")
	}
	must(t, r.h.Inject(fixtures.Fault{Wire: "w1"}))
	must(t, r.h.Inject(fixtures.Fault{Wire: "w0", Kind: fixtures.Swapped, With: "w2"}))
	must(t, r.c.SetPin(r.ctx, 0, proto.DriveHigh, proto.PullNone))
	must(t, r.c.SetPin(r.ctx, 2, proto.DriveLow, proto.PullNone))
	if r.targetRead(12, clx.PullNone) != clx.High || r.targetRead(10, clx.PullNone) != clx.Low {
		t.Fatal("swapped wires not crossed")
	}
	if f := r.h.Faults(); f["w0"].Kind != fixtures.Swapped || f["w2"].With != "w0" {
		t.Fatalf("faults %+v", f)
	}
	if err := r.h.Inject(fixtures.Fault{Wire: "nope", Kind: fixtures.Open}); !errors.Is(err, harness.ErrUnknownWire) {
		t.Fatalf("unknown wire: %v", err)
	}
	if err := r.h.Connect(harness.Wire{Name: "dup", MCUPin: 0, TargetPin: 20}); !errors.Is(err, harness.ErrBadWiring) {
		t.Fatalf("MCU pin on two wires: %v", err)
	}
}

// The path of one probe: the MCU drives the stimulus, the harness carries
// it to the sim pad, clx dispatches to the responder ISR, which answers on
// the ack line through its I/O connection; the MCU times both edges. With
// a propagation delay D on both wires, every latency is at least 2D.
func TestProbeThroughTheRig(t *testing.T) {
	for _, delay := range []time.Duration{0, 300 * time.Microsecond} {
		r := newRig(t, 2, delay)
		ack, err := r.f.ConnectIO(r.ctx, clx.IOConfig{Pins: []int{11}, Direction: clx.Output})
		must(t, err)
		_, err = r.f.ConnectInterrupt(r.ctx, clx.InterruptConfig{Pin: 10, Polarity: clx.ActiveBoth, ISR: func(ic clx.InterruptContext) bool {
			_ = ack.Write(context.Background(), []byte{byte(ic.Level)})
			return true
		}})
		must(t, err)
		must(t, r.c.SetPin(r.ctx, 0, proto.DriveLow, proto.PullNone))
		for i := 0; i < 20; i++ {
			res, err := r.c.Probe(r.ctx, mcu.ProbeSpec{Stim: 0, StimLevel: i%2 == 0, Ack: 1, AckEdge: proto.EdgeBoth, Timeout: time.Second})
			must(t, err)
			if res.TimedOut || res.Latency < 2*delay {
				t.Fatalf("delay %v, probe %d: %+v", delay, i, res)
			}
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
