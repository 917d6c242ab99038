package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gpiohil/gpiohil/rig"
	"github.com/gpiohil/gpiohil/rig/mcu"
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
// host time, for the split latency.
type Clocks struct {
	MCU        mcu.ClockModel
	Controller rig.ControllerClock
}

// Loop is one pair's probe loop: a mirroring active-both responder on
// the target, probes alternating the stimulus level, paced at Rate.
type Loop struct {
	Pair    string
	N       int           // probes handed to the callback
	Warmup  int           // probes before, not handed over
	Rate    float64       // probes per second; 0: one after another
	Timeout time.Duration // per probe
	Clocks  *Clocks       // nil: no split
	// Probed, if set, is called after every probe, warm-up included.
	Probed func()
}

// errStopped is returned by Run when ctx ends first.
var errStopped = errors.New("bench: probe loop stopped")

// Run runs the loop on r, handing each recorded probe to each (in
// order, from this goroutine). It returns an error wrapping ctx's when
// ctx ends first.
func (l Loop) Run(ctx context.Context, r *rig.Rig, each func(Sample)) error {
	rs, err := r.RespondMirror(ctx, l.Pair)
	if err != nil {
		return l.stopped(ctx, err)
	}
	defer rs.Close()
	var interval time.Duration
	if l.Rate > 0 {
		interval = time.Duration(float64(time.Second) / l.Rate)
	}
	next := time.Now()
	level := false // the stimulus idles high: probes start by driving low
	for i := 0; i < l.Warmup+l.N; i++ {
		if interval > 0 {
			if err := sleepUntil(ctx, next); err != nil {
				return l.stopped(ctx, err)
			}
			next = next.Add(interval)
		}
		before := rs.Deliveries()
		res, err := r.Probe(ctx, l.Pair, level, l.Timeout)
		if err != nil {
			return l.stopped(ctx, fmt.Errorf("probe %d: %w", i, err))
		}
		level = !level
		if l.Probed != nil {
			l.Probed()
		}
		if res.TimedOut {
			// Bring the line back to a known state for the next probe.
			if err := r.Settle(ctx); err != nil {
				return l.stopped(ctx, err)
			}
		}
		if i < l.Warmup {
			continue
		}
		s := Sample{Seq: i - l.Warmup, T0: res.T0, T1: res.T1, Latency: res.Latency}
		switch {
		case !res.TimedOut:
			l.split(&s, rs)
		case rs.Deliveries() > before:
			s.Outcome = MissedAck
		default:
			s.Outcome = Timeout
		}
		each(s)
	}
	return nil
}

// split fills in the latency's parts from the responder's last delivery.
func (l Loop) split(s *Sample, rs *rig.Responder) {
	if l.Clocks == nil {
		return
	}
	d := rs.Last()
	if !d.Context.HasControllerTime {
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

func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
