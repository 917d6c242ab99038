package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gpiohil/gpiohil/rig"
	"github.com/gpiohil/gpiohil/rig/mcu"
	"github.com/gpiohil/gpiohil/rig/proto"
)

// Outcome is how one probe ended.
type Outcome uint8

// Outcomes.
const (
	OK        Outcome = iota // the MCU saw the ack edge
	Timeout                  // no ack, and the responder's ISR did not run
	MissedAck                // the ISR ran, but the MCU saw no ack edge in time
)

var outcomeNames = [...]string{"ok", "timeout", "missed-ack"}

// String names the outcome as samples.csv writes it.
func (o Outcome) String() string { return outcomeNames[o] }

// Sample is one probe of a loop.
type Sample struct {
	Seq     int    // 0 for the first probe after the warm-up
	T0, T1  uint64 // MCU ticks: stimulus driven, ack captured (T1 valid when OK)
	Latency time.Duration
	Outcome Outcome
	// Split is the latency in three parts — wire→controller,
	// controller→ISR, ISR→ack — when the loop has Clocks and the target
	// timestamped the event (HasSplit).
	Split    [3]time.Duration
	HasSplit bool
	// AckWire is the ack line's part of ISR→ack: from the target's ack
	// output changing (the controller's timestamp) to the MCU's capture —
	// the wire's own delay — where the controller timestamps outputs
	// (HasAckWire).
	AckWire    time.Duration
	HasAckWire bool
}

// Clocks map the MCU's ticks and the target controller's timestamps to
// host time: the MCU's to tell which delivery of the responder answered
// which probe, the controller's (when Split) for the split latency.
type Clocks struct {
	MCU        mcu.ClockModel
	Controller rig.ControllerClock
	Split      bool
}

// Loop is one pair's probe loop: a mirroring active-both responder on
// the target and a probe train on the MCU, the stimulus alternating,
// back to back or paced at Rate.
type Loop struct {
	Pair    string
	N       int           // probes handed to the callback
	Warmup  int           // probes before, not handed over
	Rate    float64       // probes per second; 0: one after another
	Timeout time.Duration // per probe
	// Clocks map the timestamps; without an MCU clock model (TickHz 0)
	// Run aligns the MCU's clock itself.
	Clocks Clocks
	// Probed, if set, is called after every probe, warm-up included.
	Probed func()
}

// LoopStats count what a loop's samples do not show.
type LoopStats struct {
	// Lost counts probes the MCU ran whose results never arrived (lost on
	// the link, or dropped because the host fell behind).
	Lost int
	// Unmatched counts deliveries of the responder that answered no probe
	// (a spurious interrupt, or a late one after its probe timed out).
	Unmatched int
	// BusTransactions and BusBusy are what a bus-attached target's bus
	// carried during the train alone (the responder's connect and close
	// left out); HasBus is false for a target without a modelled bus.
	BusTransactions uint64
	BusBusy         time.Duration
	HasBus          bool
}

// errStopped is returned by Run when ctx ends first.
var errStopped = errors.New("bench: probe loop stopped")

// deliveryWait is how long an answered probe waits for its ISR's
// delivery to be logged (the ISR logs it after writing the ack).
const deliveryWait = 100 * time.Millisecond

// Run runs the loop on r, handing each recorded probe to each (in
// order, from this goroutine). It returns an error wrapping ctx's when
// ctx ends first; everything measured until then was handed over.
func (l Loop) Run(ctx context.Context, r *rig.Rig, each func(Sample)) (LoopStats, error) {
	var st LoopStats
	if l.Clocks.MCU.TickHz == 0 {
		m, _, err := r.MCUClock(ctx)
		if err != nil {
			return st, l.stopped(ctx, fmt.Errorf("align the MCU clock: %w", err))
		}
		l.Clocks.MCU = m
	}
	// How far a host time may stray from a mapped MCU tick when matching
	// a probe with its ISR run.
	slack := l.Clocks.MCU.Uncertainty + r.WireResolution()
	rs, err := r.RespondMirror(ctx, l.Pair)
	if err != nil {
		return st, l.stopped(ctx, err)
	}
	defer rs.Close()
	spec := mcu.TrainSpec{AckEdge: proto.EdgeBoth, Count: l.Warmup + l.N, Timeout: min(l.Timeout, r.MCU.Duration(0xffffffff))}
	if l.Rate > 0 {
		spec.Period = time.Duration(float64(time.Second) / l.Rate)
	}
	tx0, busy0, _ := r.BusStats()
	// The stimulus idles high (RespondMirror): the first probe drives it low.
	sum, err := r.Train(ctx, l.Pair, spec, func(p mcu.TrainProbe) {
		if l.Probed != nil {
			l.Probed()
		}
		d, ok := l.match(rs, p, slack, &st)
		if p.Index < l.Warmup {
			return
		}
		s := Sample{Seq: p.Index - l.Warmup, T0: p.T0, T1: p.T1}
		switch {
		case !p.TimedOut:
			s.Latency = r.MCU.Duration(p.T1 - p.T0)
			if ok {
				l.split(&s, d)
			}
		case ok:
			s.Outcome = MissedAck
		default:
			s.Outcome = Timeout
		}
		each(s)
	})
	st.Lost = sum.Lost
	if tx1, busy1, ok := r.BusStats(); ok {
		st.BusTransactions, st.BusBusy, st.HasBus = tx1-tx0, busy1-busy0, true
	}
	if err != nil {
		return st, l.stopped(ctx, err)
	}
	return st, nil
}

// match takes the responder's delivery that answered probe p: the oldest
// logged one whose ISR ran after the stimulus and before the ack (or the
// timeout). Older ones answered no probe and are counted.
func (l Loop) match(rs *rig.Responder, p mcu.TrainProbe, slack time.Duration, st *LoopStats) (rig.Delivery, bool) {
	start := l.Clocks.MCU.HostTime(p.T0)
	end, wait := start.Add(l.Timeout), time.Duration(0)
	if !p.TimedOut {
		end, wait = l.Clocks.MCU.HostTime(p.T1), deliveryWait
	}
	t0, end := start.Add(-slack), end.Add(slack)
	for {
		d, ok := rs.PeekDelivery(wait)
		switch {
		case !ok || d.ISR.After(end):
			return rig.Delivery{}, false
		case d.ISR.Before(t0):
			rs.TakeDelivery()
			st.Unmatched++
			continue
		}
		rs.TakeDelivery()
		return d, true
	}
}

// split fills in the latency's parts from its probe's delivery.
func (l Loop) split(s *Sample, d rig.Delivery) {
	if !l.Clocks.Split || !d.Context.HasControllerTime {
		return
	}
	t0, t1 := l.Clocks.MCU.HostTime(s.T0), l.Clocks.MCU.HostTime(s.T1)
	ctrl := l.Clocks.Controller.ToHost(d.Context.ControllerTime)
	s.Split = [3]time.Duration{ctrl.Sub(t0), d.ISR.Sub(ctrl), t1.Sub(d.ISR)}
	s.HasSplit = true
	if d.HasAckOut {
		s.AckWire, s.HasAckWire = t1.Sub(l.Clocks.Controller.ToHost(d.AckOut)), true
	}
}

func (l Loop) stopped(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w: %w", errStopped, ctx.Err())
	}
	return fmt.Errorf("bench: pair %s: %w", l.Pair, err)
}
