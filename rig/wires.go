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

// The rig's wire-level operations: what specs and benchmarks do to the
// target through the wires, named by wire and probe pair, in the MCU's
// vocabulary (rig/proto) and clx's.

// ProbeResult is a probe's outcome, both times on the MCU's clock.
type ProbeResult = mcu.ProbeResult

// EdgeEvent is an edge the MCU captured on a watched wire.
type EdgeEvent = mcu.EdgeEvent

// wire returns a wire by name, or an error naming the fixture.
func (r *Rig) wire(name string) (Wire, error) {
	if w, ok := r.Wire(name); ok {
		return w, nil
	}
	return Wire{}, fmt.Errorf("rig %s: no wire %q", r.Fixture.Name, name)
}

// pair returns a probe pair by name, or an error naming the fixture.
func (r *Rig) pair(name string) (Pair, error) {
	if p, ok := r.Pair(name); ok {
		return p, nil
	}
	return Pair{}, fmt.Errorf("rig %s: no probe pair %q", r.Fixture.Name, name)
}

// Drive makes the MCU drive a wire high or low.
func (r *Rig) Drive(ctx context.Context, wire string, high bool) error {
	w, err := r.wire(wire)
	if err != nil {
		return err
	}
	if err := r.MCU.SetPin(ctx, w.MCUPin, proto.DriveLevel(high), proto.PullNone); err != nil {
		return fmt.Errorf("drive wire %s: %w", wire, err)
	}
	return nil
}

// Release makes the MCU let go of a wire, with a pull on its end.
func (r *Rig) Release(ctx context.Context, wire string, pull proto.Pull) error {
	w, err := r.wire(wire)
	if err != nil {
		return err
	}
	if err := r.MCU.SetPin(ctx, w.MCUPin, proto.DriveHiZ, pull); err != nil {
		return fmt.Errorf("release wire %s: %w", wire, err)
	}
	return nil
}

// ReadMCU returns the levels the MCU reads on the wires named (true =
// high), in their order.
func (r *Rig) ReadMCU(ctx context.Context, wires ...string) ([]bool, error) {
	levels, err := r.MCU.ReadPins(ctx)
	if err != nil {
		return nil, fmt.Errorf("read MCU pins: %w", err)
	}
	out := make([]bool, len(wires))
	for i, name := range wires {
		w, err := r.wire(name)
		if err != nil {
			return nil, err
		}
		out[i] = levels&(1<<w.MCUPin) != 0
	}
	return out, nil
}

// ReadTarget returns the level the target reads on a wire's line, through
// a short-lived clx input connection with the given pull.
func (r *Rig) ReadTarget(ctx context.Context, wire string, pull clx.Pull) (bool, error) {
	w, err := r.wire(wire)
	if err != nil {
		return false, err
	}
	in, err := r.Framework.ConnectIO(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, Pull: pull, Name: "rig read " + wire})
	if err != nil {
		return false, fmt.Errorf("read wire %s on the target: %w", wire, err)
	}
	defer in.Close()
	buf := []byte{0}
	if err := in.Read(ctx, buf); err != nil {
		return false, fmt.Errorf("read wire %s on the target: %w", wire, err)
	}
	return buf[0]&1 != 0, nil
}

// WirePair makes a probe pair of any two wires, named "STIM→ACK", for
// RespondOn and ProbeOn.
func (r *Rig) WirePair(stim, ack string) (Pair, error) {
	s, err := r.wire(stim)
	if err != nil {
		return Pair{}, err
	}
	a, err := r.wire(ack)
	if err != nil {
		return Pair{}, err
	}
	return Pair{Name: stim + "→" + ack, Stimulus: s, Ack: a}, nil
}

// Probe drives a pair's stimulus to high (or low) and waits up to timeout
// for an edge on its ack wire, both timed by the MCU. A probe that saw no
// answer returns TimedOut and no error.
func (r *Rig) Probe(ctx context.Context, pair string, high bool, timeout time.Duration) (ProbeResult, error) {
	p, err := r.pair(pair)
	if err != nil {
		return ProbeResult{}, err
	}
	return r.ProbeOn(ctx, p, high, timeout)
}

// ProbeOn is Probe on any pair of wires (see WirePair).
func (r *Rig) ProbeOn(ctx context.Context, p Pair, high bool, timeout time.Duration) (ProbeResult, error) {
	return r.MCU.Probe(ctx, mcu.ProbeSpec{Stim: p.Stimulus.MCUPin, Ack: p.Ack.MCUPin, StimLevel: high,
		AckEdge: proto.EdgeBoth, Timeout: timeout})
}

// Train runs a probe train on a pair (see mcu.Client.Train): s's pins are
// the pair's stimulus and ack.
func (r *Rig) Train(ctx context.Context, pair string, s mcu.TrainSpec, each func(mcu.TrainProbe)) (mcu.TrainSummary, error) {
	p, err := r.pair(pair)
	if err != nil {
		return mcu.TrainSummary{}, err
	}
	s.Stim, s.Ack = p.Stimulus.MCUPin, p.Ack.MCUPin
	return r.MCU.Train(ctx, s, each)
}

// Pulse makes the MCU drive a pulse train on a wire and waits for it to
// end: count pulses at the active level (true = high), each width long,
// one every period (0: twice the width).
func (r *Rig) Pulse(ctx context.Context, wire string, active bool, width, period time.Duration, count int) error {
	w, err := r.wire(wire)
	if err != nil {
		return err
	}
	return r.MCU.Pulse(ctx, mcu.PulseSpec{Pin: w.MCUPin, Active: active, Width: width, Period: period, Count: count})
}

// Watch arms edge capture on the wires named and subscribes to the MCU's
// edge reports, buffering up to buffer of them for a slow reader (reports
// that find the buffer full are counted as dropped). stop disarms the
// wires and ends the subscription.
func (r *Rig) Watch(ctx context.Context, buffer int, wires ...string) (edges *mcu.Subscription, stop func(), err error) {
	var mask uint64
	for _, name := range wires {
		w, err := r.wire(name)
		if err != nil {
			return nil, nil, err
		}
		mask |= 1 << w.MCUPin
	}
	sub := r.MCU.Subscribe(buffer)
	if err := r.MCU.Arm(ctx, mask, proto.EdgeBoth); err != nil {
		sub.Close()
		return nil, nil, fmt.Errorf("watch wires %s: %w", strings.Join(wires, ", "), err)
	}
	return sub, func() {
		_ = r.MCU.Disarm(context.WithoutCancel(ctx), mask)
		sub.Close()
	}, nil
}

// Settle waits for levels to cross the wires: the harness's delay on the
// sim tier, two polls of the gpio-sim lines on the QEMU tier, then a
// command round trip (which covers a real wire's nanoseconds).
func (r *Rig) Settle(ctx context.Context) error {
	if err := r.target.sync(ctx); err != nil {
		return err
	}
	_, err := r.MCU.ReadClock(ctx)
	return err
}

// IdleStimuli releases every MCU pin (Reset) and drives every pair's
// stimulus low: the start of a spec past bring-up.
func (r *Rig) IdleStimuli(ctx context.Context) error {
	if err := r.MCU.Reset(ctx); err != nil {
		return fmt.Errorf("reset the MCU: %w", err)
	}
	for _, p := range r.Pairs {
		if err := r.Drive(ctx, p.Stimulus.Name, false); err != nil {
			return err
		}
	}
	return nil
}
