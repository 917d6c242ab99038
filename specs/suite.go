package specs

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/gpiohil/gpiohil/fixtures"
	"github.com/gpiohil/gpiohil/rig"
	"github.com/gpiohil/gpiohil/specs/tree"
)

// FixtureEnv names the environment variable that selects the fixture for
// `go test ./specs`: a file path or an embedded fixture name.
const FixtureEnv = "GPIOHIL_FIXTURE"

var (
	configured *fixtures.Fixture
	theRig     *rig.Rig
	openErr    error

	resultsMu sync.Mutex // protects results
	results   Results
)

// Configure selects the fixture the next run uses. Call it before
// RunSpecs.
func Configure(fx *fixtures.Fixture) { configured = fx }

// given is a rig Run opened for the configured fixture; the run closes it.
var given *rig.Rig

// Fixture returns the configured fixture, loading it from FixtureEnv (or
// the default) on first use.
func Fixture() *fixtures.Fixture {
	if configured == nil {
		fx, err := fixtures.Load(os.Getenv(FixtureEnv))
		if err != nil {
			panic(fmt.Sprintf("specs: %v", err))
		}
		configured = fx
	}
	return configured
}

// LastResults returns what the last run measured.
func LastResults() Results {
	resultsMu.Lock()
	defer resultsMu.Unlock()
	r := results
	r.Wiring = append([]rig.WireResult(nil), results.Wiring...)
	r.Latency = append([]LatencyResult(nil), results.Latency...)
	return r
}

func record(f func(*Results)) {
	resultsMu.Lock()
	defer resultsMu.Unlock()
	f(&results)
}

var _ = node(func() {
	BeforeSuite(func(ctx SpecContext) {
		fx := Fixture()
		record(func(r *Results) { *r = Results{Fixture: fx} })
		if given != nil {
			theRig, openErr, given = given, nil, nil
		} else {
			theRig, openErr = rig.Open(ctx, fx)
		}
		if openErr != nil {
			return // every spec fails or skips with this error
		}
		res, err := theRig.CheckWiring(ctx)
		if err != nil {
			openErr = fmt.Errorf("wiring check: %w", err)
			return
		}
		ok := true
		for _, w := range res {
			ok = ok && w.OK
		}
		record(func(r *Results) { r.Wiring, r.WiringOK = res, ok })
	}, NodeTimeout(2*time.Minute))
})

var _ = node(func() {
	ReportAfterSuite("outcomes and skip reasons", func(r Report) {
		reasons, specs := tree.SkipReasons(r), outcomes(r)
		record(func(res *Results) { res.Skipped, res.Specs = reasons, specs })
	})
	AfterSuite(func() {
		if theRig != nil {
			errs, total := theRig.DriverErrors()
			lost := theRig.LostEvents()
			record(func(r *Results) { r.DriverErrors, r.DriverErrorTotal, r.LostEvents = errs, total, lost })
			if err := theRig.Close(); err != nil {
				fmt.Fprintf(GinkgoWriter, "closing the rig: %v\n", err)
			}
			theRig = nil
		}
	})
})

// theRigOrFail returns the open rig, failing the spec if it could not be
// assembled.
func theRigOrFail() *rig.Rig {
	GinkgoHelper()
	if openErr != nil {
		Fail(fmt.Sprintf("rig %s could not be used: %v", Fixture().Name, openErr))
	}
	return theRig
}

// requireWiring skips the spec when the wiring check found a fault.
func requireWiring() {
	GinkgoHelper()
	theRigOrFail()
	res := LastResults()
	if !res.WiringOK {
		var bad []string
		for _, w := range res.Wiring {
			if !w.OK {
				bad = append(bad, w.Wire.Name+": "+w.Diagnosis())
			}
		}
		sort.Strings(bad)
		Skip("wiring is broken (" + strings.Join(bad, "; ") + "): fix it before anything else is checked")
	}
}
