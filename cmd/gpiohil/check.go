package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gpiohil/gpiohil/fixtures"
	"github.com/gpiohil/gpiohil/specs"
)

func newCheckCmd() *cobra.Command {
	var fixture string
	var rf runFlags
	var rep repeatFlags
	var lf labFlags
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
panicking ISR, a controller driver that fails one call (where it can be made
to), the controller going away under open connections, arguments out of range,
stress and latency budgets.

With no --fixture, the embedded sim rig runs: the simulated controller under clx
and a virtual MCU on a pseudo-terminal. --fixture takes a YAML file or an
embedded fixture's name (gpiohil fixture list).

Labels select areas: bring-up, io, glitch, drive, active-low, interrupts, shared,
timestamps, lost-edges, masking, suspend, debounce, emulation, storms,
containment, faults, removal, arguments, stress, latency, and capabilities
cap:pulls, cap:hi-z, cap:debounce, cap:two-pairs, cap:fast-sense, cap:open-drain; e.g.
--label-filter '!latency' or --label-filter 'io || masking'.

--repeat N runs the whole check N times, each in a fresh process with a fresh rig,
and prints every spec that failed at least once with its flake rate: "flaky" (failed
in some runs, passed in others) or "fails every run" (a wiring or driver fault).
--until-it-fails stops at the first failed run (at most --repeat runs, if given).
Each run's log is kept while a run failed; --junit-report and --json-report are
written per run (junit.xml becomes junit.run1.xml, ...); --flake-report writes the
tally as JSON.

For a lab engine (LAVA, labgrid, a CI; see lab/README.md): --out DIR writes
junit.xml (with the rig, the tier and the measurements as properties),
report.json and summary.txt into DIR; --markers prints, after the summary,
  GPIOHIL-SPEC <id> <pass|fail|skip> <seconds>
  GPIOHIL-MEASUREMENT <name> <value> <unit>
  GPIOHIL-RESULT <pass|fail> passed=<n> failed=<n> skipped=<n>
one SPEC line per spec that ran or was skipped on purpose, the RESULT line last.
--list prints every selected spec's ID and name without opening the rig, for an
engine that makes one test of each before the run.
Output is coloured only on a terminal, and never with --no-color or NO_COLOR set.
With --repeat, --out keeps each run's reports and log in DIR/runK and the
flake report in DIR/flakes.json.

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
			if lf.list {
				if rep.active() || lf.out != "" || lf.markers {
					return usagef("--list runs nothing: give it without --repeat, --out or --markers")
				}
				list, err := specs.List(specs.Options{Fixture: fx, LabelFilter: rf.labels})
				if err != nil {
					return err
				}
				for _, o := range list {
					fmt.Fprintf(cmd.OutOrStdout(), "%s\t%s\n", o.ID, strings.TrimPrefix(o.Name, "[It] "))
				}
				return nil
			}
			if rep.active() {
				if lf.markers {
					return usagef("--markers prints one run's results; with --repeat, read each run's --out directory")
				}
				args := []string{"check", "--fixture", fixture, "--label-filter", rf.labels}
				if rf.verbose {
					args = append(args, "-v")
				}
				return repeatCheck(cmd.Context(), cmd.OutOrStdout(), args, rep, rf.junit, rf.json, lf.out)
			}
			if lf.out != "" {
				if err := os.MkdirAll(lf.out, 0o755); err != nil {
					return fmt.Errorf("--out: %w", err)
				}
				if rf.junit == "" {
					rf.junit = filepath.Join(lf.out, "junit.xml")
				}
				if rf.json == "" {
					rf.json = filepath.Join(lf.out, "report.json")
				}
			}
			res, err := specs.Run(cmd.Context(), specs.Options{Fixture: fx, LabelFilter: rf.labels, JUnitReport: rf.junit,
				JSONReport: rf.json, Verbose: rf.verbose, Color: useColor(cmd, cmd.OutOrStdout()), Version: version})
			if res.Fixture == nil {
				return err
			}
			if werr := lf.write(cmd.OutOrStdout(), res); err == nil {
				err = werr
			}
			if err != nil {
				return err
			}
			if res.Failed {
				return errChecksFailed
			}
			return nil
		},
	}
	c.Flags().StringVar(&fixture, "fixture", "", "rig fixture: a YAML file or an embedded name (default \"sim\")")
	rf.add(c)
	lf.add(c)
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

// labFlags are check's flags for running under a lab engine (LAVA,
// labgrid, a CI): markers on the console, results in a directory.
type labFlags struct {
	out     string // --out: junit.xml, report.json and summary.txt go here
	markers bool   // --markers: print the marker lines after the summary
	list    bool   // --list: print each spec's ID and name, run nothing
}

func (f *labFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.out, "out", "", "write junit.xml, report.json and summary.txt (the summary and the marker lines) into this directory")
	c.Flags().BoolVar(&f.list, "list", false, "print the ID (as in the markers) and name of every spec the fixture and label filter select, one a line, tab-separated; open no rig, run nothing")
	c.Flags().BoolVar(&f.markers, "markers", false, "print a GPIOHIL-SPEC line per spec, GPIOHIL-MEASUREMENT per number and a GPIOHIL-RESULT line, for a lab engine to match")
}

// write prints res's summary (and its markers, if asked) to w, and into
// summary.txt in the --out directory with its markers.
func (f *labFlags) write(w io.Writer, res specs.Results) error {
	res.WriteSummary(w)
	if f.markers {
		res.WriteMarkers(w)
	}
	if f.out == "" {
		return nil
	}
	file, err := os.Create(filepath.Join(f.out, "summary.txt"))
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	res.WriteSummary(file)
	res.WriteMarkers(file)
	if err := file.Close(); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	return nil
}
