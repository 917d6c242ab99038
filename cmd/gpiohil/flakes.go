package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/onsi/ginkgo/v2/types"
)

// specTally counts one spec's outcomes over repeated runs.
type specTally struct {
	Name    string `json:"spec"`
	Passed  int    `json:"passed"`
	Failed  int    `json:"failed"`
	Skipped int    `json:"skipped"`
	// FirstFailure is the first failure's location and message.
	FirstFailure string `json:"first_failure,omitempty"`
}

// Ran returns the runs in which the spec ran (passed or failed).
func (t specTally) Ran() int { return t.Passed + t.Failed }

// FlakeRate is the fraction of the runs it ran in that the spec failed.
func (t specTally) FlakeRate() float64 {
	if t.Ran() == 0 {
		return 0
	}
	return float64(t.Failed) / float64(t.Ran())
}

// Verdict says what a lab should make of the spec: "passed", "flaky"
// (failed in some runs, passed in others: suspect the test or a marginal
// rig), "fails every run" (a real fault: wiring or driver) or "skipped".
func (t specTally) Verdict() string {
	switch {
	case t.Ran() == 0:
		return "skipped"
	case t.Failed == 0:
		return "passed"
	case t.Passed == 0:
		return "fails every run"
	default:
		return "flaky"
	}
}

// flakeTally gathers the outcome of every spec over repeated runs of the
// spec tree, from the runs' Ginkgo JSON reports.
type flakeTally struct {
	Runs       int          `json:"runs"`
	FailedRuns int          `json:"failed_runs"`
	Specs      []*specTally `json:"specs"` // in the order they first ran
	index      map[string]*specTally
}

// add counts one run. runFailed says whether the run as a whole failed
// (including a rig that could not be opened, which has no spec failures).
func (f *flakeTally) add(reports []types.Report, runFailed bool) {
	f.Runs++
	if runFailed {
		f.FailedRuns++
	}
	if f.index == nil {
		f.index = map[string]*specTally{}
	}
	eachSpec(reports, func(s types.SpecReport, o outcome) {
		name := s.FullText()
		t := f.index[name]
		if t == nil {
			t = &specTally{Name: name}
			f.index[name] = t
			f.Specs = append(f.Specs, t)
		}
		switch o {
		case passed:
			t.Passed++
		case failed:
			t.Failed++
			if t.FirstFailure == "" {
				t.FirstFailure = firstFailure(s)
			}
		default:
			t.Skipped++
		}
	})
}

// outcome is what became of a spec in one run.
type outcome uint8

const (
	skipped outcome = iota // skipped, filtered out or pending
	passed
	failed // failed, panicked, timed out, interrupted or aborted
)

// eachSpec calls do for every It in reports, with its outcome.
func eachSpec(reports []types.Report, do func(types.SpecReport, outcome)) {
	for _, r := range reports {
		for _, s := range r.SpecReports {
			switch {
			case s.LeafNodeType != types.NodeTypeIt:
			case s.State == types.SpecStatePassed:
				do(s, passed)
			case s.State.Is(types.SpecStateFailureStates):
				do(s, failed)
			default:
				do(s, skipped)
			}
		}
	}
}

// firstFailure is a spec's failure in one line: where, and the message's
// first line.
func firstFailure(s types.SpecReport) string {
	msg, _, _ := strings.Cut(strings.TrimSpace(s.Failure.Message), "\n")
	if loc := s.Failure.Location; loc.FileName != "" {
		return fmt.Sprintf("%s:%d: %s", loc.FileName, loc.LineNumber, msg)
	}
	return msg
}

// write prints the tally: every spec that failed at least once, with its
// flake rate and verdict, then one line for the rest.
func (f *flakeTally) write(w io.Writer) {
	fmt.Fprintf(w, "\nRepeated %d runs: %d passed, %d failed\n", f.Runs, f.Runs-f.FailedRuns, f.FailedRuns)
	var bad []*specTally
	clean, skipped := 0, 0
	for _, t := range f.Specs {
		switch t.Verdict() {
		case "passed":
			clean++
		case "skipped":
			skipped++
		default:
			bad = append(bad, t)
		}
	}
	if len(bad) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  failed\tflake rate\tverdict\tspec")
		for _, t := range bad {
			fmt.Fprintf(tw, "  %d/%d\t%.1f %%\t%s\t%s\n", t.Failed, t.Ran(), 100*t.FlakeRate(), t.Verdict(), t.Name)
		}
		tw.Flush()
		for _, t := range bad {
			fmt.Fprintf(w, "  first failure of %q: %s\n", t.Name, t.FirstFailure)
		}
	}
	fmt.Fprintf(w, "  %d specs passed in every run they ran in; %d never ran (skipped or filtered out)\n", clean, skipped)
}
