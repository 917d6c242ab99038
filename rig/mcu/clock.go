package mcu

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// ClockModel maps MCU ticks to host time, estimated from pings: the
// offset from the fastest round trips (whose midpoint is closest to the
// MCU's reading) and the drift from a least-squares fit over them.
type ClockModel struct {
	TickHz   uint32
	RefTick  uint64    // an MCU tick ...
	RefHost  time.Time // ... and the host time it corresponds to
	DriftPPM float64   // MCU clock rate error against the host's, parts per million
	MinRTT   time.Duration
	// Uncertainty bounds the offset error: half the fastest round trip,
	// or more where the fitted samples stray from the fit.
	Uncertainty time.Duration
	Samples     int // samples used in the fit
	// Baseline is the host time the fitted samples span; the drift is
	// only as good as DriftUncertaintyPPM, about MinRTT over Baseline.
	Baseline            time.Duration
	DriftUncertaintyPPM float64
}

// HostTime returns the host time of an MCU tick.
// Ticks convert to nanoseconds in integers, so a whole-nanosecond tick
// maps exactly; only the drift correction is in floating point.
func (m ClockModel) HostTime(tick uint64) time.Time {
	if m.TickHz == 0 {
		return m.RefHost
	}
	dt, hz := int64(tick-m.RefTick), int64(m.TickHz)
	ns := dt/hz*int64(time.Second) + dt%hz*int64(time.Second)/hz
	if m.DriftPPM != 0 {
		ns = int64(float64(ns) / (1 + m.DriftPPM/1e6))
	}
	return m.RefHost.Add(time.Duration(ns))
}

// UncertaintyAt bounds the error of HostTime(tick): the offset's
// uncertainty, plus the drift's uncertainty over the time from the
// model's reference to the tick.
func (m ClockModel) UncertaintyAt(tick uint64) time.Duration {
	d := m.HostTime(tick).Sub(m.RefHost)
	if d < 0 {
		d = -d
	}
	return m.Uncertainty + time.Duration(float64(d)*m.DriftUncertaintyPPM/1e6)
}

// String summarises the model.
func (m ClockModel) String() string {
	return fmt.Sprintf("drift %+.1f ±%.1f ppm over %v, offset ±%v (min RTT %v, %d samples)",
		m.DriftPPM, m.DriftUncertaintyPPM, m.Baseline.Round(time.Millisecond), m.Uncertainty, m.MinRTT, m.Samples)
}

// AlignClock pings the MCU n times (at least 4), spacing apart, and fits a
// ClockModel over the fastest quarter of the round trips. The drift needs
// a long baseline: n × spacing of a second or more for a few ppm.
func (c *Client) AlignClock(ctx context.Context, n int, spacing time.Duration) (ClockModel, error) {
	if n < 4 {
		n = 4
	}
	type sample struct {
		mid  time.Time
		rtt  time.Duration
		tick uint64
	}
	samples := make([]sample, 0, n)
	for i := 0; i < n; i++ {
		start := time.Now()
		_, tick, err := c.Ping(ctx)
		if err != nil {
			return ClockModel{}, err
		}
		rtt := time.Since(start)
		samples = append(samples, sample{mid: start.Add(rtt / 2), rtt: rtt, tick: tick})
		if spacing > 0 && i < n-1 {
			select {
			case <-time.After(spacing):
			case <-ctx.Done():
				return ClockModel{}, fmt.Errorf("mcu: align clock: %w", ctx.Err())
			}
		}
	}
	sort.Slice(samples, func(i, j int) bool { return samples[i].rtt < samples[j].rtt })
	best := samples[:max(3, len(samples)/4)]
	sort.Slice(best, func(i, j int) bool { return best[i].mid.Before(best[j].mid) })
	// Fit tick-seconds = a + b * host-seconds, relative to the first.
	x0, y0 := best[0].mid, best[0].tick
	var sx, sy, sxx, sxy float64
	for _, s := range best {
		x := s.mid.Sub(x0).Seconds()
		y := float64(int64(s.tick-y0)) / float64(c.id.TickHz)
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	k := float64(len(best))
	slope := 1.0
	if den := k*sxx - sx*sx; den > 0 {
		slope = (k*sxy - sx*sy) / den
	}
	ref := samples[0] // the fastest round trip
	baseline := best[len(best)-1].mid.Sub(x0)
	m := ClockModel{TickHz: c.id.TickHz, RefTick: ref.tick, RefHost: ref.mid, DriftPPM: (slope - 1) * 1e6,
		MinRTT: ref.rtt, Uncertainty: ref.rtt / 2, Samples: len(best), Baseline: baseline}
	if baseline > 0 {
		m.DriftUncertaintyPPM = float64(best[len(best)-1].rtt) / float64(baseline) * 1e6
	}
	// Each fitted tick was read within half its round trip of its
	// midpoint; where the fit misses a sample by more (a clock whose rate
	// wanders, as an emulator's does), the uncertainty grows to cover it.
	for _, s := range best {
		if miss := (m.HostTime(s.tick).Sub(s.mid)).Abs() + s.rtt/2; miss > m.Uncertainty {
			m.Uncertainty = miss
		}
	}
	return m, nil
}
