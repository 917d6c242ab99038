package specs

import (
	"fmt"
	"sort"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// percentile returns the p-th percentile (0..100) of sorted samples, by
// the nearest-rank method.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted)) + 0.999999)
	if rank < 1 {
		rank = 1
	}
	if rank > len(sorted) {
		rank = len(sorted)
	}
	return sorted[rank-1]
}

var _ = Describe("Latency", Label("latency"), func() {
	for _, fp := range Fixture().Probes {
		It(fmt.Sprintf("stays within the fixture's budgets on pair %s", fp.Name), func(ctx SpecContext) {
			prepare(ctx)
			p, _ := theRig.Pair(fp.Name)
			t := Fixture().Timing
			respondBoth(ctx, p)
			samples := make([]time.Duration, 0, t.Probes)
			timeouts := 0
			for i := 0; i < t.Probes; i++ {
				res := probe(ctx, p, i%2 == 1, t.ProbeTimeout)
				if res.TimedOut {
					timeouts++
					continue
				}
				samples = append(samples, res.Latency)
			}
			sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
			lr := LatencyResult{Pair: p.Name, N: len(samples), Timeouts: timeouts, Budgets: Fixture().Budgets.Latency}
			if len(samples) > 0 {
				lr.Min, lr.Max = samples[0], samples[len(samples)-1]
				lr.P50, lr.P90, lr.P99 = percentile(samples, 50), percentile(samples, 90), percentile(samples, 99)
			}
			record(func(r *Results) { r.Latency = append(r.Latency, lr) })
			AddReportEntry("latency "+p.Name, fmt.Sprintf("n=%d timeouts=%d min=%v p50=%v p90=%v p99=%v max=%v",
				lr.N, lr.Timeouts, lr.Min, lr.P50, lr.P90, lr.P99, lr.Max), ReportEntryVisibilityFailureOrVerbose)
			Expect(timeouts).To(BeZero(), "probes without an answer")
			got := map[string]time.Duration{"p50": lr.P50, "p90": lr.P90, "p99": lr.P99, "max": lr.Max,
				"p99.9": percentile(samples, 99.9), "p99.99": percentile(samples, 99.99)}
			for name, budget := range lr.Budgets {
				Expect(got[name]).To(BeNumerically("<=", budget), "%s latency %v over its budget %v", name, got[name], budget)
			}
		}, SpecTimeout(10*time.Minute))
	}
})
