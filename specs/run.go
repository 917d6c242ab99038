package specs

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/fixtures"
	"github.com/gpiohil/gpiohil/rig"
)

// Options configure a run of the spec tree from a program.
type Options struct {
	Fixture     *fixtures.Fixture
	LabelFilter string // a Ginkgo label expression; empty runs every spec
	JUnitReport string // file to write a JUnit XML report to, if set
	JSONReport  string // file to write Ginkgo's JSON report (with measurements) to, if set
	Verbose     bool   // print every spec as it runs
	Color       bool   // colour the output (a terminal)
	// Version is gpiohil's version, for the JUnit report's properties.
	Version string
}

// failRecorder is what RunSpecs reports a failure to.
type failRecorder struct{ failed bool }

func (f *failRecorder) Fail() { f.failed = true }

// Run opens the rig opts.Fixture describes and runs the whole tree on it,
// in this process, then closes the rig. A rig that cannot be opened is
// one error, returned before any spec runs; a spec that fails is in
// Results.Failed. Ginkgo runs a tree once per process, so Run may be
// called once.
func Run(ctx context.Context, opts Options) (Results, error) {
	r, err := rig.Open(ctx, opts.Fixture)
	if err != nil {
		return Results{}, fmt.Errorf("rig %s cannot be used: %w", opts.Fixture.Name, err)
	}
	configured, given = opts.Fixture, r
	sc, rc := GinkgoConfiguration()
	sc.LabelFilter = opts.LabelFilter
	rc.JUnitReport = opts.JUnitReport
	rc.JSONReport = opts.JSONReport
	rc.Verbose = opts.Verbose
	rc.NoColor = !opts.Color
	RegisterFailHandler(Fail)
	buildTree()
	var rec failRecorder
	start := time.Now()
	RunSpecs(&rec, "gpiohil check: "+opts.Fixture.Name, sc, rc)
	res := LastResults()
	res.Failed = rec.failed
	res.Duration = time.Since(start)
	if opts.JUnitReport != "" {
		if err := addJUnitProperties(opts.JUnitReport, res, opts.Version); err != nil {
			return res, err
		}
	}
	return res, nil
}
