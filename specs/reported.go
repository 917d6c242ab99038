package specs

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/rig"
)

// An error the framework reports outside any call (clx.Framework.Errors:
// a controller-driver error during dispatch, a phantom interrupt, a storm,
// a panicking ISR) is a fault of the target. Every spec past bring-up is
// watched: one that does not provoke such errors on purpose fails when
// the framework reports any while it runs.

// reportedExpected is how many reported errors the running spec
// provokes on purpose; reportedBefore how many the framework had reported
// when it started.
var reportedExpected, reportedBefore int

// watchReported, called as a spec starts, fails it at its end (after its
// own cleanups) when the framework reported more or fewer errors than the
// spec provoked. A spec that replaced the framework (a reinserted
// controller) is not watched past the replacement.
func watchReported(r *rig.Rig) {
	fw := r.Framework
	reportedExpected = 0
	_, before := fw.Errors()
	reportedBefore = before
	_, rigBefore := r.DriverErrors()
	DeferCleanup(func(ctx SpecContext) {
		if r.Framework != fw {
			return
		}
		idle, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_ = fw.WaitIdle(idle) // errors a dispatch in flight reports belong to this spec
		recent, after := fw.Errors()
		if n := after - before; n != reportedExpected {
			if shown := min(max(n, 0), 3); len(recent) > shown {
				recent = recent[len(recent)-shown:]
			}
			Fail(fmt.Sprintf("the framework reported %d error(s) during the spec, which provoked %d; the last: %q", n, reportedExpected, recent))
		}
		// Each reported error also reaches the framework's OnError handler,
		// which hands it to the rig (the target's driver may add its own).
		if handed, _ := driverErrorsSince(r, rigBefore); handed < after-before {
			Fail(fmt.Sprintf("the framework reported %d error(s) during the spec and handed %d to its OnError handler", after-before, handed))
		}
	}, NodeTimeout(10*time.Second))
}

// expectReported says the running spec provokes n errors the framework
// reports (and judges what they say itself).
func expectReported(n int) { reportedExpected = n }

// reportedDuringSpec waits until the framework has reported n errors
// since the running spec started (or the probe timeout passes), and
// returns those it keeps.
func reportedDuringSpec(r *rig.Rig, n int) []error {
	GinkgoHelper()
	var recent []error
	var total int
	Eventually(func() int {
		recent, total = r.Framework.Errors()
		return total - reportedBefore
	}).WithTimeout(Fixture().Timing.ProbeTimeout).Should(BeNumerically(">=", n), "errors the framework reported")
	if since := total - reportedBefore; len(recent) > since {
		recent = recent[len(recent)-since:]
	}
	return recent
}

// driverErrorsSince returns how many errors the target's driver and clx
// reported outside any call since the rig had counted before, and those
// of them the rig keeps.
func driverErrorsSince(r *rig.Rig, before int) (int, []error) {
	kept, total := r.DriverErrors()
	if before < len(kept) {
		kept = kept[before:]
	} else {
		kept = nil
	}
	return total - before, kept
}
