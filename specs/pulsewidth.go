package specs

import (
	"context"
	"fmt"
	"math"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/rig"
	"github.com/gpiohil/gpiohil/rig/mcu"
)

// PulseFloor is a narrowest pulse found by bisection: the narrowest width
// asked of the MCU that the target handled as the spec wants (Asked), the
// narrowest the MCU actually drove in that trial by its own capture
// (Driven; a board's main loop may stretch a pulse), and the widest asked
// that it did not handle (Refused; 0 when even one MCU tick was handled).
type PulseFloor struct {
	What    string        `json:"what"`
	Asked   time.Duration `json:"asked_ns"`
	Driven  time.Duration `json:"driven_ns"`
	Refused time.Duration `json:"refused_ns"`
	// Step is the bisection's precision: one MCU tick, or 2 % of the
	// width when that is coarser.
	Step time.Duration `json:"step_ns"`
	// Budget is the widest Asked may be (the fixture's
	// budgets.narrowest_pulse); 0 when the floor is not judged.
	Budget time.Duration `json:"budget_ns,omitempty"`
}

// String says what the floor is, for the summary and the report.
func (f PulseFloor) String() string {
	s := fmt.Sprintf("%s: %v", f.What, f.Asked)
	if f.Driven != 0 && f.Driven != f.Asked {
		s += fmt.Sprintf(" (driven %v)", f.Driven)
	}
	if f.Refused > 0 {
		s += fmt.Sprintf(", not at %v", f.Refused)
	} else {
		s += ", the MCU's narrowest"
	}
	if f.Budget > 0 {
		s += fmt.Sprintf("; budget %v", f.Budget)
	}
	return s
}

// trial runs one pulse width and reports whether the target handled it,
// and the narrowest pulse the MCU actually drove.
type trial func(ctx context.Context, width time.Duration) (ok bool, driven time.Duration)

// bisectPulse finds the narrowest width trial handles, between one MCU
// tick and hi (which it must handle), halving the interval — in log scale
// while it spans more than a factor of two — until it is one tick or 2 %
// of the width wide. Handling must be monotone in the width; near the
// floor a trial may go either way, which moves the answer by at most the
// width of the noise.
func bisectPulse(ctx context.Context, what string, hi time.Duration, try trial) PulseFloor {
	GinkgoHelper()
	tick := theRig.MCU.Duration(1)
	if tick <= 0 {
		tick = time.Nanosecond
	}
	f := PulseFloor{What: what}
	ok, driven := try(ctx, hi)
	Expect(ok).To(BeTrue(), "%s: a %v pulse, the widest tried, was not handled", what, hi)
	f.Asked, f.Driven = hi, driven
	lo := tick
	if ok, driven := try(ctx, lo); ok {
		f.Asked, f.Driven, f.Step = lo, driven, tick
		return f
	}
	for {
		step := max(tick, f.Asked/50)
		if f.Asked-lo <= step {
			f.Refused, f.Step = lo, step
			return f
		}
		mid := lo + (f.Asked-lo)/2
		if f.Asked > 2*lo {
			mid = time.Duration(math.Sqrt(float64(lo) * float64(f.Asked)))
		}
		mid = mid / tick * tick
		if mid <= lo || mid >= f.Asked {
			f.Refused, f.Step = lo, step
			return f
		}
		if ok, driven := try(ctx, mid); ok {
			f.Asked, f.Driven = mid, driven
		} else {
			lo = mid
		}
	}
}

// edgesDuring arms capture on wires, runs do (which returns when the
// MCU's stimulus is over), and returns the edges the MCU captured on each
// wire, by name, until none came for the fixture's quiet time.
func edgesDuring(ctx context.Context, do func(), wires ...rig.Wire) map[string][]rig.EdgeEvent {
	GinkgoHelper()
	var sub *mcu.Subscription
	for i, w := range wires {
		s, stop, err := theRig.Watch(ctx, 8192, w.Name)
		Expect(err).NotTo(HaveOccurred())
		defer stop()
		if i == 0 {
			sub = s // every subscription receives every armed pin's edges
		}
	}
	do()
	byPin := map[int]string{}
	for _, w := range wires {
		byPin[w.MCUPin] = w.Name
	}
	out := map[string][]rig.EdgeEvent{}
	quiet := time.NewTimer(Fixture().Timing.Quiet)
	defer quiet.Stop()
	for {
		select {
		case e := <-sub.C():
			if name, ok := byPin[e.Pin]; ok {
				out[name] = append(out[name], e)
			}
			quiet.Reset(Fixture().Timing.Quiet)
			continue
		case <-quiet.C:
		case <-ctx.Done():
		}
		Expect(sub.Dropped()).To(BeZero(), "edge reports dropped by a slow subscriber")
		return out
	}
}

// narrowestPulse is the narrowest time between an edge and the next
// (the time at one level) among a wire's captured edges, 0 with fewer
// than two.
func narrowestPulse(edges []rig.EdgeEvent, active bool) time.Duration {
	var narrowest time.Duration
	for i := 1; i < len(edges); i++ {
		if edges[i-1].Level != active || edges[i].Level == active {
			continue
		}
		if w := theRig.MCU.Duration(edges[i].Tick - edges[i-1].Tick); narrowest == 0 || w < narrowest {
			narrowest = w
		}
	}
	return narrowest
}
