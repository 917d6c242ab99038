package specs

import (
	"fmt"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/rig"
)

var _ = node(func() {
	Describe("Stress", Label("stress", "cap:two-pairs"), func() {
		It("answers two pairs toggled concurrently with no lost or extra deliveries", func(ctx SpecContext) {
			needPairs(2)
			r := prepare(ctx)
			t := Fixture().Timing
			n := 5 * t.Edges
			_, errsBefore := r.DriverErrors()
			lostBefore := r.LostEvents()
			var responders []*rig.Responder
			for _, p := range r.Pairs[:2] {
				responders = append(responders, respondBoth(ctx, p))
			}
			var wg sync.WaitGroup
			problems := make([][]string, 2)
			for k, p := range r.Pairs[:2] {
				wg.Add(1)
				go func() {
					defer GinkgoRecover()
					defer wg.Done()
					for i := 0; i < n; i++ {
						res, err := r.Probe(ctx, p.Name, i%2 == 1, t.ProbeTimeout)
						switch {
						case err != nil:
							problems[k] = append(problems[k], fmt.Sprintf("probe %d: %v", i, err))
							return
						case res.TimedOut:
							problems[k] = append(problems[k], fmt.Sprintf("probe %d: no answer", i))
						}
					}
				}()
			}
			wg.Wait()
			Expect(problems[0]).To(BeEmpty(), "pair %s", r.Pairs[0].Name)
			Expect(problems[1]).To(BeEmpty(), "pair %s", r.Pairs[1].Name)
			for k, rs := range responders {
				Expect(rs.Deliveries()).To(Equal(n), "deliveries on pair %s", r.Pairs[k].Name)
			}
			Expect(r.MCU.Stats().MCUOverflows).To(BeZero())
			Expect(r.LostEvents()-lostBefore).To(BeZero(), "kernel edge events lost")
			n, errs := driverErrorsSince(r, errsBefore)
			Expect(n).To(BeZero(), "errors the target's driver or clx reported: %v", errs)
		}, SpecTimeout(specTimeout))
	})
})
