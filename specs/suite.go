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

// Results is what a run measured, for summaries beyond Ginkgo's report.
type Results struct {
	Fixture  string
	Tier     string
	Wiring   []rig.WireResult
	WiringOK bool
	Latency  []LatencyResult
	// MinPulse is the narrowest pulse whose both edges the active-both
	// responder answered, or 0 if not measured.
	MinPulse     time.Duration
	MinPulseMode string // "native" or "emulated"
	// DriverErrors are errors the target's driver and clx reported outside
	// any call (lost kernel events, controller-driver errors in dispatch).
	DriverErrors []error
	LostEvents   uint64
}

// LatencyResult summarises the latency probes of one pair.
type LatencyResult struct {
	Pair     string
	N        int
	Timeouts int
	Min      time.Duration
	P50      time.Duration
	P90      time.Duration
	P99      time.Duration
	Max      time.Duration
	Budgets  map[string]time.Duration
}

// Configure selects the fixture the next run uses. Call it before
// RunSpecs.
func Configure(fx *fixtures.Fixture) { configured = fx }

// UseRig hands the run an already opened rig for the configured fixture
// (so a caller can report a rig that cannot be opened once, before any
// spec runs). The run closes it at the end.
func UseRig(r *rig.Rig) { given = r }

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

var _ = BeforeSuite(func(ctx SpecContext) {
	fx := Fixture()
	record(func(r *Results) { *r = Results{Fixture: fx.Name, Tier: fx.Tier} })
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

var _ = AfterSuite(func() {
	if theRig != nil {
		errs, lost := theRig.DriverErrors(), theRig.LostEvents()
		record(func(r *Results) { r.DriverErrors, r.LostEvents = errs, lost })
		if err := theRig.Close(); err != nil {
			fmt.Fprintf(GinkgoWriter, "closing the rig: %v\n", err)
		}
		theRig = nil
	}
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
	r := theRigOrFail()
	_ = r
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
