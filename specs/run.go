package specs

import (
	"context"
	"fmt"
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"golang.org/x/sys/unix"

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
	FailFast    bool   // stop at the first failing spec
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
	sc.FailFast = opts.FailFast
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

// List walks the tree for opts.Fixture without opening the rig or running
// a spec (Ginkgo's dry run) and returns the specs a run would report, in
// order, with the IDs it would give them (their Result is meaningless).
// Like Run, it may be called once per process, and not with Run. Ginkgo's
// own report of the dry run, which it writes to the process's standard
// output, is discarded.
func List(opts Options) ([]SpecOutcome, error) {
	configured = opts.Fixture
	sc, rc := GinkgoConfiguration()
	sc.LabelFilter = opts.LabelFilter
	sc.DryRun = true
	rc.Succinct = true
	RegisterFailHandler(Fail)
	buildTree()
	var rec failRecorder
	restore, err := discardStdout()
	if err != nil {
		return nil, err
	}
	RunSpecs(&rec, "gpiohil check --list: "+opts.Fixture.Name, sc, rc)
	if err := restore(); err != nil {
		return nil, err
	}
	specs := LastResults().Specs
	if rec.failed || specs == nil {
		return nil, fmt.Errorf("listing the specs of %s failed", opts.Fixture.Name)
	}
	return specs, nil
}

// discardStdout points the process's standard output (file descriptor 1,
// where Ginkgo's reporter writes) at /dev/null until restore is called.
func discardStdout() (restore func() error, err error) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("listing specs: %w", err)
	}
	defer null.Close()
	saved, err := unix.Dup(1)
	if err != nil {
		return nil, fmt.Errorf("listing specs: %w", err)
	}
	if err := unix.Dup2(int(null.Fd()), 1); err != nil {
		unix.Close(saved)
		return nil, fmt.Errorf("listing specs: %w", err)
	}
	return func() error {
		defer unix.Close(saved)
		if err := unix.Dup2(saved, 1); err != nil {
			return fmt.Errorf("listing specs: restoring standard output: %w", err)
		}
		return nil
	}, nil
}
