package specs

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/rig"
)

// EdgeAccount is where the edges of one pulse train went: each qualifying
// edge the MCU sent was delivered to the client, merged by the
// controller into a delivery already latched, or lost by the kernel
// (among the events a gap in its sequence numbers says it dropped, the
// rising edges: the line is watched for both).
type EdgeAccount struct {
	Spacing time.Duration `json:"spacing_ns"` // from one rising edge to the next, as asked of the MCU
	// Driven is the narrowest spacing the MCU actually drove, by its own
	// capture (a loop or a slow host stretches some).
	Driven    time.Duration `json:"driven_ns"`
	Sent      int           `json:"sent"`
	Delivered int           `json:"delivered"`
	Merged    int           `json:"merged"`
	Lost      int           `json:"lost"`
}

// String is one line of the summary's table.
func (a EdgeAccount) String() string {
	return fmt.Sprintf("%v\t%v\t%d\t%d\t%d\t%d", a.Spacing, a.Driven, a.Sent, a.Delivered, a.Merged, a.Lost)
}

// accountSpacings are the rising-edge spacings the account sweeps, widest
// first; the last is the MCU's narrowest (two ticks).
var accountSpacings = []time.Duration{2 * time.Millisecond, 500 * time.Microsecond, 100 * time.Microsecond,
	20 * time.Microsecond, 5 * time.Microsecond, 0}

// accountEdges is how many rising edges each train sends.
const accountEdges = 200

var _ = node(func() {
	Describe("Edge accounting", Label("lost-edges"), func() {
		It("accounts for every edge of trains swept down to the MCU's narrowest: delivered, merged or lost, never silent", func(ctx SpecContext) {
			r := prepare(ctx)
			p := pair(0)
			drive(ctx, p.Stimulus.Name, false)
			settle(ctx)
			rs := respond(ctx, rig.ResponderConfig{Pair: p.Name, Polarity: clx.ActiveHigh, Ack: rig.AckToggle})
			tick := r.MCU.Duration(1)
			inexact := r.EdgeCountsInexact()
			var accounts []EdgeAccount
			for _, spacing := range accountSpacings {
				period := max(spacing, 2*tick)
				d0, m0, l0 := rs.Deliveries(), r.MergedEdges(), r.LostEdges()
				account := func() EdgeAccount {
					return EdgeAccount{Spacing: period, Sent: accountEdges, Delivered: rs.Deliveries() - d0,
						Merged: int(r.MergedEdges() - m0), Lost: int(r.LostEdges() - l0)}
				}
				accounted := func() int { a := account(); return a.Delivered + a.Merged + a.Lost }
				sent := edgesDuring(ctx, func() {
					Expect(r.Pulse(ctx, p.Stimulus.Name, true, max(period/2, tick), period, accountEdges)).To(Succeed())
				}, p.Stimulus)[p.Stimulus.Name]
				if inexact == "" {
					Eventually(accounted).WithContext(ctx).Within(Fixture().Timing.ProbeTimeout).ProbeEvery(time.Millisecond).
						Should(BeNumerically(">=", accountEdges), "rising edges %v apart: %d sent, accounted %+v", period, accountEdges, account())
					Consistently(accounted).WithContext(ctx).Within(Fixture().Timing.Quiet).ProbeEvery(time.Millisecond).
						Should(Equal(accountEdges), "rising edges %v apart: %d sent, accounted %+v (more than sent: something made up)", period, accountEdges, account())
				} else {
					// Reported, not judged: wait until the counts are still
					// for the quiet time (or the spec's deadline).
					for n := accounted(); ctx.Err() == nil; {
						sleep(ctx, Fixture().Timing.Quiet)
						m := accounted()
						if m == n {
							break
						}
						n = m
					}
				}
				a := account()
				a.Driven = narrowestSpacing(sent)
				AddReportEntry(fmt.Sprintf("edges %v apart", period), a)
				accounts = append(accounts, a)
			}
			record(func(res *Results) { res.EdgeAccounts = accounts })
			if inexact != "" {
				Skip("measured and reported, not judged: " + inexact)
			}
		}, SpecTimeout(specTimeout))
	})
})

// narrowestSpacing is the narrowest time from one rising edge to the next
// among a wire's captured edges, 0 with fewer than two.
func narrowestSpacing(edges []rig.EdgeEvent) time.Duration {
	var narrowest time.Duration
	var last uint64
	seen := false
	for _, e := range edges {
		if !e.Level {
			continue
		}
		if d := theRig.MCU.Duration(e.Tick - last); seen && (narrowest == 0 || d < narrowest) {
			narrowest = d
		}
		last, seen = e.Tick, true
	}
	return narrowest
}
