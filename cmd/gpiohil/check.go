package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/gpiohil/gpiohil/fixtures"
	"github.com/gpiohil/gpiohil/specs"
)

// isTerminal reports whether w is a terminal (output is coloured then).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newCheckCmd() *cobra.Command {
	var fixture string
	var rf runFlags
	var rep repeatFlags
	c := &cobra.Command{
		Use:   "check",
		Short: "Validate a rig: wiring, I/O, interrupts, masking, debounce, emulation, storms, stress, latency",
		Long: `Validate a rig from outside, through the wires. The wiring is checked first, every
wire in both directions; if a wire is broken (open, stuck at 0 or 1, swapped with
another) the diagnosis names it and every other spec is skipped. Then the specs
judge I/O on every wire, open-drain and open-source outputs, active-low lines,
interrupts on every line (shared, timestamped, with neighbours reconfigured),
where the edges of ever faster trains go (delivered, merged, lost),
masking, suspend and resume, debounce, emulation, storms, containment of a
panicking ISR, stress and latency budgets.

With no --fixture, the embedded sim rig runs: the simulated controller under clx
and a virtual MCU on a pseudo-terminal. --fixture takes a YAML file or an
embedded fixture's name (gpiohil fixture list).

Labels select areas: bring-up, io, glitch, drive, active-low, interrupts, shared,
timestamps, lost-edges, masking, suspend, debounce, emulation, storms,
containment, stress, latency, and capabilities cap:pulls, cap:hi-z,
cap:debounce, cap:two-pairs, cap:fast-sense, cap:open-drain; e.g.
--label-filter '!latency' or --label-filter 'io || masking'.

--repeat N runs the whole check N times, each in a fresh process with a fresh rig,
and prints every spec that failed at least once with its flake rate: "flaky" (failed
in some runs, passed in others) or "fails every run" (a wiring or driver fault).
--until-it-fails stops at the first failed run (at most --repeat runs, if given).
Each run's log is kept while a run failed; --junit-report and --json-report are
written per run (junit.xml becomes junit.run1.xml, ...); --flake-report writes the
tally as JSON.

Exit status: 0 when every spec passed, 1 when one failed, 2 on bad usage or a
bad fixture.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fx, err := fixtures.Load(fixture)
			if err != nil {
				return usagef("%v", err)
			}
			if rep.runs < 0 {
				return usagef("--repeat must not be negative")
			}
			if rep.active() {
				args := []string{"check", "--fixture", fixture, "--label-filter", rf.labels}
				if rf.verbose {
					args = append(args, "-v")
				}
				return repeatCheck(cmd.Context(), cmd.OutOrStdout(), args, rep, rf.junit, rf.json)
			}
			res, err := specs.Run(cmd.Context(), specs.Options{Fixture: fx, LabelFilter: rf.labels, JUnitReport: rf.junit,
				JSONReport: rf.json, Verbose: rf.verbose, Color: isTerminal(cmd.OutOrStdout())})
			if err != nil {
				return err
			}
			res.WriteSummary(cmd.OutOrStdout())
			if res.Failed {
				return errChecksFailed
			}
			return nil
		},
	}
	c.Flags().StringVar(&fixture, "fixture", "", "rig fixture: a YAML file or an embedded name (default \"sim\")")
	rf.add(c)
	c.Flags().IntVar(&rep.runs, "repeat", 0, "run the check this many times, each with a fresh rig, and report every spec's flake rate")
	c.Flags().BoolVar(&rep.untilFails, "until-it-fails", false, "repeat until a run fails (at most --repeat runs, if given)")
	c.Flags().StringVar(&rep.report, "flake-report", "", "with --repeat: write each spec's outcomes over the runs as JSON to this file")
	return c
}

// runFlags are the flags of a command that runs a spec tree.
type runFlags struct {
	labels, junit, json string
	verbose             bool
}

func (f *runFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.labels, "label-filter", "", "run only specs whose labels match this Ginkgo label expression")
	c.Flags().StringVar(&f.junit, "junit-report", "", "write a JUnit XML report to this file")
	c.Flags().StringVar(&f.json, "json-report", "", "write a Ginkgo JSON report (with measurements) to this file")
	c.Flags().BoolVarP(&f.verbose, "verbose", "v", false, "print every spec as it runs")
}

// errChecksFailed is returned when the specs ran and one failed.
var errChecksFailed = fmt.Errorf("check failed: see the failures above")
