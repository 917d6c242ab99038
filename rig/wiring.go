package rig

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/fixtures"
	"github.com/gpiohil/gpiohil/rig/proto"
)

// Verdict is what the wiring check found in one direction of a wire.
type Verdict struct {
	// Fault is Healthy when the far end followed the pattern exactly.
	Fault fixtures.FaultKind
	// With names the wire whose pattern the far end followed (Swapped).
	With string
	// Unstable, when not empty, gives readings that fit no single fault:
	// the bits read in the walking-one and walking-zero steps.
	Unstable string
	// Skipped, when not empty, says why this direction was not checked.
	Skipped string
	// Readback, when not empty, says the MCU's own pin did not read the
	// level it was driving (MCU → target only): the pin is overpowered (a
	// short) or the firmware does not drive what it is told to.
	Readback string
}

// OK reports whether the direction is healthy or could not be checked.
func (v Verdict) OK() bool {
	return v.Fault == fixtures.Healthy && v.Unstable == "" && v.Readback == ""
}

// String is the verdict in words: "ok", the fault ("swapped with ack1"),
// "unstable: …" or "not checked: …".
func (v Verdict) String() string {
	if v.Readback != "" {
		w := v
		w.Readback = ""
		return w.String() + " (" + v.Readback + ")"
	}
	switch {
	case v.Skipped != "":
		return "not checked: " + v.Skipped
	case v.Unstable != "":
		return "unstable: " + v.Unstable
	case v.Fault == fixtures.Healthy:
		return "ok"
	case v.Fault == fixtures.Swapped:
		return "swapped with " + v.With
	}
	return v.Fault.String()
}

// WireResult is the wiring check's verdict on one wire.
type WireResult struct {
	Wire    Wire
	Forward Verdict // MCU → target
	Reverse Verdict // target → MCU
	OK      bool
}

// Diagnosis is the verdict in words: "ok", or the fault(s) and their
// direction.
func (w WireResult) Diagnosis() string {
	f, r := w.Forward.String(), w.Reverse.String()
	switch {
	case w.OK:
		return "ok"
	case f == r:
		return f
	case w.Forward.OK():
		return "target→MCU: " + r
	case w.Reverse.OK():
		return "MCU→target: " + f
	}
	return "MCU→target: " + f + "; target→MCU: " + r
}

// CheckWiring checks every wire in both directions, before anything else
// touches the pins: walking-one and walking-zero patterns driven from each
// side, read on the other with the opposite pull, tell a healthy wire from
// an open one, one stuck at 0 or 1, and two wires swapped. It leaves the
// MCU pins hi-z and the target lines released.
func (r *Rig) CheckWiring(ctx context.Context) ([]WireResult, error) {
	n := len(r.Wires)
	res := make([]WireResult, n)
	for i, w := range r.Wires {
		res[i].Wire = w
	}
	defer r.MCU.Reset(context.WithoutCancel(ctx))

	// MCU → target.
	var r1, r0 [][]bool
	var own1, own0 [][]bool
	var err error
	if r1, own1, err = r.forward(ctx, true); err != nil {
		return nil, err
	}
	if r0, own0, err = r.forward(ctx, false); err != nil {
		return nil, err
	}
	for j := range r.Wires {
		res[j].Forward = r.classify(j, column(r1, j), column(r0, j))
		res[j].Forward.Readback = readback(j, column(own1, j), column(own0, j))
	}

	// Target → MCU.
	caps := r.MCU.Identify().Caps
	if !caps.Has(proto.CapHiZ) {
		for j := range res {
			res[j].Reverse = Verdict{Skipped: "the MCU cannot release its pins"}
		}
	} else {
		if r1, err = r.reverse(ctx, true, caps.Has(proto.CapPullDown)); err != nil {
			return nil, err
		}
		if r0, err = r.reverse(ctx, false, caps.Has(proto.CapPullUp)); err != nil {
			return nil, err
		}
		for j := range r.Wires {
			res[j].Reverse = r.classify(j, column(r1, j), column(r0, j))
		}
	}
	for j := range res {
		res[j].OK = res[j].Forward.OK() && res[j].Reverse.OK()
	}
	return res, nil
}

func column(m [][]bool, j int) []bool {
	c := make([]bool, len(m))
	for i := range m {
		c[i] = m[i][j]
	}
	return c
}

// classify names what wire j's far end followed: in walk step i of the
// walking-one pattern (high) only wire i was high, of the walking-zero
// pattern (low) only wire i was low; the far end pulled the opposite way.
func (r *Rig) classify(j int, one, zero []bool) Verdict {
	follows := func(k int) bool {
		for i := range one {
			if one[i] != (i == k) || zero[i] != (i != k) {
				return false
			}
		}
		return true
	}
	all := func(v []bool, want bool) bool {
		for _, x := range v {
			if x != want {
				return false
			}
		}
		return true
	}
	switch {
	case follows(j):
		return Verdict{}
	case all(one, false) && all(zero, false):
		return Verdict{Fault: fixtures.StuckAt0}
	case all(one, true) && all(zero, true):
		return Verdict{Fault: fixtures.StuckAt1}
	case all(one, false) && all(zero, true):
		return Verdict{Fault: fixtures.Open}
	}
	for k := range r.Wires {
		if k != j && follows(k) {
			return Verdict{Fault: fixtures.Swapped, With: r.Wires[k].Name}
		}
	}
	return Verdict{Unstable: fmt.Sprintf("walking-one read %s, walking-zero read %s", bits(one), bits(zero))}
}

func bits(v []bool) string {
	var b strings.Builder
	for _, x := range v {
		if x {
			b.WriteByte('1')
		} else {
			b.WriteByte('0')
		}
	}
	return b.String()
}

// readback describes how wire j's MCU pin disagreed with its own drive in
// the walking-one (one) and walking-zero (zero) steps, or returns "".
func readback(j int, one, zero []bool) string {
	for i := range one {
		for _, s := range []struct {
			read, drove bool
		}{{one[i], i == j}, {zero[i], i != j}} {
			if s.read != s.drove {
				return fmt.Sprintf("the MCU's own pin read %d while it drove %d: a short, or firmware that does not drive", bit(s.read), bit(s.drove))
			}
		}
	}
	return ""
}

func bit(b bool) int {
	if b {
		return 1
	}
	return 0
}

// forward drives the walking pattern from the MCU and reads every target
// line, pulled the opposite way, and the MCU's own pins. reads[i][t] is
// line t in step i, own[i][t] wire t's MCU pin.
func (r *Rig) forward(ctx context.Context, one bool) (reads, own [][]bool, err error) {
	pull := clx.PullUp
	if one {
		pull = clx.PullDown
	}
	in, err := r.connectAll(ctx, clx.IOConfig{Pull: pull})
	if errors.Is(err, clx.ErrNotSupported) {
		// A target without this pull (an MCP23017 has pull-ups only)
		// reads its lines floating: an open wire then reads as whatever
		// the input floats to, and only the other direction's pull
		// tells it from a wire at that level.
		in, err = r.connectAll(ctx, clx.IOConfig{Pull: clx.PullNone})
	}
	if err != nil {
		return nil, nil, err
	}
	defer in.Close()
	reads, own = make([][]bool, len(r.Wires)), make([][]bool, len(r.Wires))
	buf := make([]byte, (len(r.Wires)+7)/8)
	for i := range r.Wires {
		for k, w := range r.Wires {
			if err := r.Drive(ctx, w.Name, (k == i) == one); err != nil {
				return nil, nil, fmt.Errorf("wiring check: %w", err)
			}
		}
		if err := r.Settle(ctx); err != nil {
			return nil, nil, err
		}
		if err := in.Read(ctx, buf); err != nil {
			return nil, nil, fmt.Errorf("wiring check: read target lines: %w", err)
		}
		levels, err := r.MCU.ReadPins(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("wiring check: read MCU pins: %w", err)
		}
		reads[i], own[i] = make([]bool, len(r.Wires)), make([]bool, len(r.Wires))
		for t, w := range r.Wires {
			reads[i][t] = buf[t/8]&(1<<(t%8)) != 0
			own[i][t] = levels&(1<<w.MCUPin) != 0
		}
	}
	return reads, own, nil
}

// connectAll connects every wire's target line, in wire order, as cfg
// says.
func (r *Rig) connectAll(ctx context.Context, cfg clx.IOConfig) (*clx.IOConn, error) {
	cfg.Pins, cfg.Name = make([]int, len(r.Wires)), "wiring check"
	for i, w := range r.Wires {
		cfg.Pins[i] = w.TargetPin
	}
	c, err := r.Framework.ConnectIO(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("wiring check: target lines: %w", err)
	}
	return c, nil
}

// reverse drives the walking pattern from the target and reads every MCU
// pin, released with the opposite pull where it has one.
func (r *Rig) reverse(ctx context.Context, one, canPull bool) ([][]bool, error) {
	pull := proto.PullNone
	if canPull {
		pull = proto.PullUp
		if one {
			pull = proto.PullDown
		}
	}
	for _, w := range r.Wires {
		if err := r.Release(ctx, w.Name, pull); err != nil {
			return nil, fmt.Errorf("wiring check: %w", err)
		}
	}
	out, err := r.connectAll(ctx, clx.IOConfig{Direction: clx.Output})
	if err != nil {
		return nil, err
	}
	defer out.Close()
	reads := make([][]bool, len(r.Wires))
	buf := make([]byte, (len(r.Wires)+7)/8)
	for i := range r.Wires {
		for k := range buf {
			buf[k] = 0
		}
		for k := range r.Wires {
			if (k == i) == one {
				buf[k/8] |= 1 << (k % 8)
			}
		}
		if err := out.Write(ctx, buf); err != nil {
			return nil, fmt.Errorf("wiring check: drive target lines: %w", err)
		}
		if err := r.Settle(ctx); err != nil {
			return nil, err
		}
		levels, err := r.MCU.ReadPins(ctx)
		if err != nil {
			return nil, fmt.Errorf("wiring check: read MCU pins: %w", err)
		}
		reads[i] = make([]bool, len(r.Wires))
		for t, w := range r.Wires {
			reads[i][t] = levels&(1<<w.MCUPin) != 0
		}
	}
	return reads, nil
}
