package mcu

import (
	"context"
	"fmt"
	"time"

	"github.com/gpiohil/gpiohil/rig/proto"
)

// Ticks converts a duration to MCU ticks.
func (c *Client) Ticks(d time.Duration) uint64 {
	return uint64(d) * uint64(c.id.TickHz) / uint64(time.Second)
}

// Duration converts MCU ticks to a duration.
func (c *Client) Duration(ticks uint64) time.Duration {
	hz := uint64(c.id.TickHz)
	if hz == 0 {
		return 0
	}
	return time.Duration(ticks/hz*uint64(time.Second) + ticks%hz*uint64(time.Second)/hz)
}

// Ping measures one round trip and returns the MCU's tick at the answer.
func (c *Client) Ping(ctx context.Context) (rtt time.Duration, tick uint64, err error) {
	p := proto.Ping{Token: uint32(time.Now().UnixNano())}
	start := time.Now()
	f, err := c.do(ctx, proto.TypePing, p.Append(make([]byte, 0, proto.MaxPayload)), proto.TypePong, nil)
	rtt = time.Since(start)
	if err != nil {
		return 0, 0, err
	}
	var m proto.Pong
	if !m.Decode(f.payload()) || m.Token != p.Token {
		return 0, 0, fmt.Errorf("%w: ping answer does not echo the token", ErrProtocol)
	}
	return rtt, m.Tick, nil
}

// ReadClock returns the MCU's tick.
func (c *Client) ReadClock(ctx context.Context) (uint64, error) {
	f, err := c.do(ctx, proto.TypeReadClock, nil, proto.TypeClock, nil)
	if err != nil {
		return 0, err
	}
	var m proto.Clock
	if !m.Decode(f.payload()) {
		return 0, fmt.Errorf("%w: clock answer of %d bytes", ErrProtocol, len(f.payload()))
	}
	return m.Tick, nil
}

// SetPin drives a pin low or high, or releases it (HiZ) with a pull.
func (c *Client) SetPin(ctx context.Context, pin int, d proto.Drive, p proto.Pull) error {
	if err := c.checkPin(pin); err != nil {
		return err
	}
	m := proto.SetPin{Pin: uint8(pin), Drive: d, Pull: p}
	_, err := c.do(ctx, proto.TypeSetPin, m.Append(make([]byte, 0, proto.MaxPayload)), proto.TypeAck, nil)
	return err
}

func (c *Client) checkPin(pin int) error {
	if pin < 0 || pin >= int(c.id.Pins) {
		return fmt.Errorf("mcu: pin %d outside the %d pins of %s: %w", pin, c.id.Pins, c.id.BoardName(), ErrRefused)
	}
	return nil
}

// ReadPins returns the level of every pin (bit n = pin n).
func (c *Client) ReadPins(ctx context.Context) (uint64, error) {
	f, err := c.do(ctx, proto.TypeReadPins, nil, proto.TypePins, nil)
	if err != nil {
		return 0, err
	}
	var m proto.Pins
	if !m.Decode(f.payload()) {
		return 0, fmt.Errorf("%w: pins answer of %d bytes", ErrProtocol, len(f.payload()))
	}
	return m.Levels, nil
}

// Reset puts every pin in the safe state (hi-z, no pull), disarms capture
// and cancels probes and pulses.
func (c *Client) Reset(ctx context.Context) error {
	_, err := c.do(ctx, proto.TypeReset, nil, proto.TypeAck, nil)
	return err
}

// Arm enables edge reports on the pins of mask.
func (c *Client) Arm(ctx context.Context, mask uint64, e proto.Edges) error {
	m := proto.Arm{Mask: mask, Edges: e}
	_, err := c.do(ctx, proto.TypeArm, m.Append(make([]byte, 0, proto.MaxPayload)), proto.TypeAck, nil)
	return err
}

// Disarm disables edge reports on the pins of mask.
func (c *Client) Disarm(ctx context.Context, mask uint64) error {
	m := proto.Arm{Mask: mask}
	_, err := c.do(ctx, proto.TypeDisarm, m.Append(make([]byte, 0, proto.MaxPayload)), proto.TypeAck, nil)
	return err
}

// PulseSpec is a pulse train: Count pulses at level Active, each Width
// long, one every Period (0: twice the width).
type PulseSpec struct {
	Pin    int
	Active bool
	Width  time.Duration
	Period time.Duration
	Count  int
}

// Pulse starts a pulse train and waits for it to end.
func (c *Client) Pulse(ctx context.Context, s PulseSpec) error {
	if err := c.checkPin(s.Pin); err != nil {
		return err
	}
	if s.Count < 1 || s.Count > 0xffff {
		return fmt.Errorf("mcu: pulse count %d, want 1..65535: %w", s.Count, ErrRefused)
	}
	m := proto.Pulse{Pin: uint8(s.Pin), Width: uint32(c.Ticks(s.Width)), Period: uint32(c.Ticks(s.Period)), Count: uint16(s.Count)}
	if s.Active {
		m.Active = 1
	}
	done := make(chan proto.PulseDone, 1)
	var seq uint8
	_, err := c.do(ctx, proto.TypePulse, m.Append(make([]byte, 0, proto.MaxPayload)), proto.TypeAck, func(s uint8) {
		seq = s
		c.mu.Lock()
		c.pulseWaiters[s] = done
		c.mu.Unlock()
	})
	defer func() {
		c.mu.Lock()
		delete(c.pulseWaiters, seq)
		c.mu.Unlock()
	}()
	if err != nil {
		return err
	}
	period := s.Period
	if period == 0 {
		period = 2 * s.Width
	}
	limit := time.NewTimer(c.opts.mcuTimed(time.Duration(s.Count)*period) + c.opts.LinkTimeout)
	defer limit.Stop()
	select {
	case r := <-done:
		if r.Status == proto.PulseCancelled {
			return fmt.Errorf("mcu: pulse on pin %d: %w", s.Pin, ErrCancelled)
		}
		return nil
	case <-limit.C:
		return &LinkError{Path: c.path, Command: "pulse", Err: ErrTimeout, Reason: "no end-of-train report"}
	case <-ctx.Done():
		return fmt.Errorf("mcu: pulse: %w", ctx.Err())
	case <-c.dead:
		return c.deadErr
	}
}

// ProbeSpec is one latency probe: drive Stim to StimLevel (at MCU tick At,
// or now when 0) and wait up to Timeout for the first AckEdge on Ack.
type ProbeSpec struct {
	Stim, Ack int
	StimLevel bool
	AckEdge   proto.Edges
	At        uint64
	Timeout   time.Duration
}

// ProbeResult is a probe's outcome, both times on the MCU's clock.
type ProbeResult struct {
	T0, T1   uint64        // ticks: stimulus driven, ack captured
	Latency  time.Duration // T1 − T0
	TimedOut bool
}

// Probe runs one probe. A probe that saw no ack within its timeout returns
// TimedOut and no error.
func (c *Client) Probe(ctx context.Context, s ProbeSpec) (ProbeResult, error) {
	if err := c.checkPin(s.Stim); err != nil {
		return ProbeResult{}, err
	}
	if err := c.checkPin(s.Ack); err != nil {
		return ProbeResult{}, err
	}
	timeout := c.Ticks(s.Timeout)
	if timeout == 0 || timeout > 0xffffffff {
		return ProbeResult{}, fmt.Errorf("mcu: probe timeout %v outside 1..2^32 ticks (%v at %s's %d Hz): %w",
			s.Timeout, c.Duration(0xffffffff), c.id.BoardName(), c.id.TickHz, ErrRefused)
	}
	m := proto.Probe{Stim: uint8(s.Stim), Ack: uint8(s.Ack), AckEdge: s.AckEdge, At: s.At, Timeout: uint32(timeout)}
	if s.StimLevel {
		m.StimLevel = 1
	}
	ch := make(chan proto.ProbeResult, 1)
	var seq uint8
	_, err := c.do(ctx, proto.TypeProbe, m.Append(make([]byte, 0, proto.MaxPayload)), proto.TypeAck, func(s uint8) {
		seq = s
		c.mu.Lock()
		c.probeWaiters[s] = ch
		c.mu.Unlock()
	})
	if err != nil {
		c.mu.Lock()
		delete(c.probeWaiters, seq)
		c.mu.Unlock()
		return ProbeResult{}, err
	}
	wait := c.opts.mcuTimed(s.Timeout) + c.opts.LinkTimeout
	if s.At != 0 {
		if now, err := c.ReadClock(ctx); err == nil && s.At > now {
			wait += c.opts.mcuTimed(c.Duration(s.At - now))
		}
	}
	limit := time.NewTimer(wait)
	defer limit.Stop()
	select {
	case r := <-ch:
		if r.Status == proto.ProbeCancelled {
			return ProbeResult{}, fmt.Errorf("mcu: probe on pins %d→%d: %w", s.Stim, s.Ack, ErrCancelled)
		}
		res := ProbeResult{T0: r.T0, T1: r.T1, TimedOut: r.Status != proto.ProbeOK}
		if !res.TimedOut {
			res.Latency = c.Duration(r.T1 - r.T0)
		}
		return res, nil
	case <-limit.C:
		c.mu.Lock()
		delete(c.probeWaiters, seq)
		c.mu.Unlock()
		return ProbeResult{}, &LinkError{Path: c.path, Command: "probe", Err: ErrTimeout, Reason: "no probe result report"}
	case <-ctx.Done():
		return ProbeResult{}, fmt.Errorf("mcu: probe: %w", ctx.Err())
	case <-c.dead:
		return ProbeResult{}, c.deadErr
	}
}
