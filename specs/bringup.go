package specs

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// Bring-up: the wiring check runs before every other spec (in
// BeforeSuite); here each wire's verdict becomes a spec of its own, and
// if any wire is broken every other area is skipped with that reason.
var _ = node(func() {
	Describe("Bring-up", Label("bring-up"), func() {
		for _, w := range Fixture().Wires {
			It(fmt.Sprintf("wire %s (MCU pin %d ↔ target line %s) carries levels both ways", w.Name, w.MCUPin, w.Line), func() {
				theRigOrFail()
				for _, res := range LastResults().Wiring {
					if res.Wire.Name == w.Name {
						AddReportEntry("wire "+w.Name, res.Diagnosis(), ReportEntryVisibilityFailureOrVerbose)
						Expect(res.OK).To(BeTrue(), "wire %s: %s", w.Name, res.Diagnosis())
						return
					}
				}
				Fail("wire " + w.Name + " was not checked")
			})
		}
	})
})
