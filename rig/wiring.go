package rig

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/rig/mcu"
	"github.com/gpiohil/gpiohil/rig/proto"
)

// WireResult is the wiring check's verdict on one wire.
type WireResult struct {
	Wire    Wire
	Forward string // MCU→target: "ok" or the fault seen
	Reverse string // target→MCU: "ok", the fault seen, or "not checked: …"
	OK      bool
}

// Diagnosis is the verdict in words: "ok", or the fault(s) and their
// direction.
func (w WireResult) Diagnosis() string {
	if w.OK {
		return "ok"
	}
	switch {
	case w.Forward == w.Reverse:
		return w.Forward
	case w.Forward == "ok":
		return "target→MCU: " + w.Reverse
	case w.Reverse == "ok" || strings.HasPrefix(w.Reverse, "not checked"):
		return "MCU→target: " + w.Forward
	}
	return "MCU→target: " + w.Forward + "; target→MCU: " + w.Reverse
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
	var err error
	if r1, err = r.forward(ctx, true); err != nil {
		return nil, err
	}
	if r0, err = r.forward(ctx, false); err != nil {
		return nil, err
	}
	for j := range r.Wires {
		res[j].Forward = r.classify(j, column(r1, j), column(r0, j))
	}

	// Target → MCU.
	id := r.MCU.Identify()
	switch {
	case id.Caps&proto.CapHiZ == 0:
		for j := range res {
			res[j].Reverse = "not checked: the MCU cannot release its pins"
		}
	default:
		if r1, err = r.reverse(ctx, true, id.Caps&proto.CapPullDown != 0); err != nil {
			return nil, err
		}
		if r0, err = r.reverse(ctx, false, id.Caps&proto.CapPullUp != 0); err != nil {
			return nil, err
		}
		for j := range r.Wires {
			res[j].Reverse = r.classify(j, column(r1, j), column(r0, j))
		}
	}
	for j := range res {
		res[j].OK = res[j].Forward == "ok" && (res[j].Reverse == "ok" || strings.HasPrefix(res[j].Reverse, "not checked"))
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
func (r *Rig) classify(j int, one, zero []bool) string {
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
		return "ok"
	case all(one, false) && all(zero, false):
		return "stuck-at-0"
	case all(one, true) && all(zero, true):
		return "stuck-at-1"
	case all(one, false) && all(zero, true):
		return "open"
	}
	for k := range r.Wires {
		if k != j && follows(k) {
			return "swapped with " + r.Wires[k].Name
		}
	}
	return fmt.Sprintf("unstable: walking-one read %s, walking-zero read %s", bits(one), bits(zero))
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

// forward drives the walking pattern from the MCU and reads every target
// line, pulled the opposite way. reads[i][t] is line t in step i.
func (r *Rig) forward(ctx context.Context, one bool) ([][]bool, error) {
	pull := clx.PullUp
	if one {
		pull = clx.PullDown
	}
	pins := make([]int, len(r.Wires))
	for i, w := range r.Wires {
		pins[i] = w.TargetPin
	}
	in, err := r.Framework.ConnectIO(ctx, clx.IOConfig{Pins: pins, Pull: pull, Name: "wiring check"})
	if err != nil {
		return nil, fmt.Errorf("wiring check: target lines: %w", err)
	}
	defer in.Close()
	reads := make([][]bool, len(r.Wires))
	buf := make([]byte, (len(pins)+7)/8)
	for i := range r.Wires {
		for k, w := range r.Wires {
			d := mcu.Low
			if (k == i) == one {
				d = mcu.High
			}
			if err := r.MCU.SetPin(ctx, w.MCUPin, d, mcu.PullNone); err != nil {
				return nil, fmt.Errorf("wiring check: MCU pin %d: %w", w.MCUPin, err)
			}
		}
		if err := r.Settle(ctx); err != nil {
			return nil, err
		}
		if err := in.Read(ctx, buf); err != nil {
			return nil, fmt.Errorf("wiring check: read target lines: %w", err)
		}
		reads[i] = make([]bool, len(r.Wires))
		for t := range r.Wires {
			reads[i][t] = buf[t/8]&(1<<(t%8)) != 0
		}
	}
	return reads, nil
}

// reverse drives the walking pattern from the target and reads every MCU
// pin, released with the opposite pull where it has one.
func (r *Rig) reverse(ctx context.Context, one, canPull bool) ([][]bool, error) {
	pull := mcu.PullNone
	if canPull {
		pull = mcu.PullUp
		if one {
			pull = mcu.PullDown
		}
	}
	for _, w := range r.Wires {
		if err := r.MCU.SetPin(ctx, w.MCUPin, mcu.HiZ, pull); err != nil {
			return nil, fmt.Errorf("wiring check: MCU pin %d: %w", w.MCUPin, err)
		}
	}
	pins := make([]int, len(r.Wires))
	for i, w := range r.Wires {
		pins[i] = w.TargetPin
	}
	out, err := r.Framework.ConnectIO(ctx, clx.IOConfig{Pins: pins, Direction: clx.Output, Name: "wiring check"})
	if err != nil {
		return nil, fmt.Errorf("wiring check: target lines: %w", err)
	}
	defer out.Close()
	reads := make([][]bool, len(r.Wires))
	buf := make([]byte, (len(pins)+7)/8)
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

// Settle waits for levels to cross the wires: the harness delay on the
// sim tier, a full poll of the gpio-sim lines on the QEMU tier, and a
// command round trip (which covers a real wire's nanoseconds).
func (r *Rig) Settle(ctx context.Context) error {
	if d := r.Fixture.Harness.Settle(); d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := r.syncCdev(ctx); err != nil {
		return err
	}
	if err := r.syncCdev(ctx); err != nil { // the MCU's answer may have moved a line: sense it too
		return err
	}
	_, err := r.MCU.ReadClock(ctx)
	return err
}
