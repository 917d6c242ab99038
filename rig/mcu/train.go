package mcu

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gpiohil/gpiohil/rig/proto"
)

// TrainSpec describes a probe train: Count probes on one pair that the
// MCU runs by itself (see PROTOCOL.md, Train).
type TrainSpec struct {
	Stim, Ack int
	// StimLevel is the first probe's stimulus level; each next probe
	// drives the other.
	StimLevel bool
	AckEdge   proto.Edges
	Count     int
	// Period, when not 0, spaces the probes' starts (a rate); Gap is the
	// pause after each answer or timeout (0: back to back).
	Period, Gap time.Duration
	Timeout     time.Duration // per probe
}

// TrainProbe is one probe of a train: T1 is valid unless it timed out.
type TrainProbe struct {
	Index    int
	T0, T1   uint64
	TimedOut bool
}

// TrainSummary says how a train ended. Every probe the MCU ran is
// accounted for: handed over (Received) or Lost — on the link (a corrupt
// frame) or because the caller fell behind the reports.
type TrainSummary struct {
	Ran       int // probes the MCU ran and reported
	Received  int
	Lost      int
	Cancelled bool // stopped (by the context, or a command on its pins) before Count
}

// trainBuffer is how many batches wait for a train's caller before more
// are dropped (and counted lost): about 12 000 probes.
const trainBuffer = 4096

// train is a running train's inbox, filled by the reader.
type train struct {
	batches chan proto.ProbeBatch
	done    chan proto.TrainDone
}

// ErrNoTrains means the MCU's firmware has no probe trains (capability
// bit 6): it predates them.
var ErrNoTrains = errors.New("mcu: the MCU runs no probe trains (its firmware predates them: update it)")

// Train runs a probe train and hands each probe to each, in order, from
// the calling goroutine, until the train ends. When ctx ends first, the
// train is stopped and what the MCU measured until then is still handed
// over; the error then wraps ctx's. A train whose reports stop coming
// (no batch for a probe's timeout and gap, stretched by the MCU's
// slowest clock rate, plus the link timeout) ends with ErrTimeout.
func (c *Client) Train(ctx context.Context, s TrainSpec, each func(TrainProbe)) (TrainSummary, error) {
	if !c.id.Caps.Has(proto.CapTrain) {
		return TrainSummary{}, fmt.Errorf("%w (%s, firmware %d.%d.%d)", ErrNoTrains, c.id.BoardName(), c.id.FwMajor, c.id.FwMinor, c.id.FwPatch)
	}
	m, err := c.trainCommand(s)
	if err != nil {
		return TrainSummary{}, err
	}
	t := &train{batches: make(chan proto.ProbeBatch, trainBuffer), done: make(chan proto.TrainDone, 1)}
	var seq uint8
	if _, err := c.do(ctx, proto.TypeTrain, m.Append(make([]byte, 0, proto.MaxPayload)), proto.TypeAck, func(sq uint8) {
		seq = sq
		c.mu.Lock()
		c.trains[sq] = t
		c.mu.Unlock()
	}); err != nil {
		c.mu.Lock()
		delete(c.trains, seq)
		c.mu.Unlock()
		return TrainSummary{}, err
	}
	defer func() {
		c.mu.Lock()
		delete(c.trains, seq)
		c.mu.Unlock()
	}()
	stall := c.opts.mcuTimed(s.Timeout+s.Gap+s.Period+10*time.Millisecond) + c.opts.LinkTimeout
	timer := time.NewTimer(stall)
	defer timer.Stop()
	var sum TrainSummary
	next := 0 // the index expected next
	deliver := func(b *proto.ProbeBatch) {
		idx := int(b.Index)
		if idx > next {
			sum.Lost += idx - next
		}
		for k := range b.N {
			e := b.Entries[k]
			p := TrainProbe{Index: idx + k, T0: b.T0 + uint64(e.DT0), TimedOut: e.Latency == proto.NoAck}
			if !p.TimedOut {
				p.T1 = p.T0 + uint64(e.Latency)
			}
			each(p)
		}
		sum.Received += b.N
		next = idx + b.N
	}
	stopped := ctx.Done()
	var stopErr error
	for {
		select {
		case b := <-t.batches:
			deliver(&b)
			timer.Reset(stall)
		case d := <-t.done:
			// Every batch was sent before TrainDone: take those queued.
			for len(t.batches) > 0 {
				b := <-t.batches
				deliver(&b)
			}
			sum.Ran, sum.Cancelled = int(d.Count), d.Status != proto.TrainFinished
			if sum.Ran > sum.Received+sum.Lost {
				sum.Lost = sum.Ran - sum.Received
			}
			return sum, stopErr
		case <-stopped:
			stopped = nil
			stopErr = fmt.Errorf("mcu: train on pins %d→%d stopped: %w", s.Stim, s.Ack, ctx.Err())
			sctx, cancel := context.WithTimeout(context.Background(), c.opts.LinkTimeout)
			_, err := c.do(sctx, proto.TypeStopTrain, nil, proto.TypeAck, nil)
			cancel()
			if err != nil {
				return sum, errors.Join(stopErr, err)
			}
		case <-timer.C:
			return sum, &LinkError{Path: c.path, Command: "train", Err: ErrTimeout,
				Reason: fmt.Sprintf("no probe batch for %v after %d of %d probes", stall, sum.Received, s.Count)}
		case <-c.dead:
			return sum, c.deadErr
		}
	}
}

// trainCommand checks a TrainSpec and encodes it.
func (c *Client) trainCommand(s TrainSpec) (proto.Train, error) {
	if err := c.checkPin(s.Stim); err != nil {
		return proto.Train{}, err
	}
	if err := c.checkPin(s.Ack); err != nil {
		return proto.Train{}, err
	}
	m := proto.Train{Stim: uint8(s.Stim), Ack: uint8(s.Ack), AckEdge: s.AckEdge}
	if s.StimLevel {
		m.StimLevel = 1
	}
	for _, f := range []struct {
		name string
		d    time.Duration
		to   *uint32
		min  uint64
	}{{"timeout", s.Timeout, &m.Timeout, 1}, {"period", s.Period, &m.Period, 0}, {"gap", s.Gap, &m.Gap, 0}} {
		t := c.Ticks(f.d)
		if t < f.min || t > 0xffffffff {
			return proto.Train{}, fmt.Errorf("mcu: train %s %v outside %d..2^32 ticks (%v at %s's %d Hz): %w",
				f.name, f.d, f.min, c.Duration(0xffffffff), c.id.BoardName(), c.id.TickHz, ErrRefused)
		}
		*f.to = uint32(t)
	}
	if s.Count < 1 || int64(s.Count) > 0xffffffff {
		return proto.Train{}, fmt.Errorf("mcu: train of %d probes, want 1..2^32-1: %w", s.Count, ErrRefused)
	}
	m.Count = uint32(s.Count)
	return m, nil
}
