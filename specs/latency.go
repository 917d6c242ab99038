package specs

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/bench"
)

var _ = node(func() {
	Describe("Latency", Label("latency"), func() {
		for _, fp := range Fixture().Probes {
			It(fmt.Sprintf("stays within the fixture's budgets on pair %s", fp.Name), func(ctx SpecContext) {
				prepare(ctx)
				t := Fixture().Timing
				// The bench's probe loop and percentile engine, at the
				// fixture's count: one definition of a latency.
				dist := bench.NewDistribution()
				timeouts := 0
				loop := bench.Loop{Pair: fp.Name, N: t.Probes, Timeout: t.ProbeTimeout}
				st, err := loop.Run(ctx, theRig, func(s bench.Sample) {
					if s.Outcome != bench.OK {
						timeouts++
						return
					}
					dist.Record(s.Latency)
				})
				Expect(err).NotTo(HaveOccurred())
				Expect(st.Lost).To(BeZero(), "probes whose results never reached the host")
				stats := dist.Stats()
				lr := LatencyResult{Pair: fp.Name, N: int(stats.Count), Timeouts: timeouts, Budgets: Fixture().Budgets.Latency,
					Min: stats.Duration("min"), P50: stats.Duration("p50"), P90: stats.Duration("p90"), P99: stats.Duration("p99"), Max: stats.Duration("max")}
				record(func(r *Results) { r.Latency = append(r.Latency, lr) })
				AddReportEntry("latency "+fp.Name, fmt.Sprintf("n=%d timeouts=%d min=%v p50=%v p90=%v p99=%v max=%v",
					lr.N, lr.Timeouts, lr.Min, lr.P50, lr.P90, lr.P99, lr.Max), ReportEntryVisibilityFailureOrVerbose)
				Expect(timeouts).To(BeZero(), "probes without an answer")
				for name, budget := range lr.Budgets {
					Expect(stats.Duration(name)).To(BeNumerically("<=", budget), "%s latency %v over its budget %v", name, stats.Duration(name), budget)
				}
			}, SpecTimeout(10*time.Minute))
		}
	})
})
