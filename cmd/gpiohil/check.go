package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/fixtures"
	"github.com/gpiohil/gpiohil/rig"
	"github.com/gpiohil/gpiohil/specs"
)

// failRecorder is what RunSpecs reports a failure to.
type failRecorder struct{ failed bool }

func (f *failRecorder) Fail() { f.failed = true }

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

func newCheckCmd() *cobra.Command {
	var fixture, labels, junit, jsonReport string
	var verbose bool
	c := &cobra.Command{
		Use:   "check",
		Short: "Validate a rig: wiring, I/O, interrupts, masking, emulation, storms, stress, latency",
		Long: `Validate a rig from outside, through the wires. The wiring is checked first, every
wire in both directions; if a wire is broken (open, stuck at 0 or 1, swapped with
another) the diagnosis names it and every other spec is skipped. Then the specs
judge I/O, interrupts, masking, emulation, storms, stress and latency budgets.

With no --fixture, the embedded sim rig runs: the simulated controller under clx
and a virtual MCU on a pseudo-terminal. --fixture takes a YAML file or an
embedded fixture's name (gpiohil fixture list).

Labels select areas: bring-up, io, interrupts, masking, emulation, storms, stress,
latency, and capabilities cap:pulls, cap:hi-z, cap:debounce, cap:two-pairs; e.g.
--label-filter '!latency' or --label-filter 'io || masking'.

Exit status: 0 when every spec passed, 1 when one failed, 2 on bad usage or a
bad fixture.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fx, err := fixtures.Load(fixture)
			if err != nil {
				return usagef("%v", err)
			}
			specs.Configure(fx)
			// Open the rig first: a rig that is not there is one error, not
			// one failure per spec.
			r, err := rig.Open(cmd.Context(), fx)
			if err != nil {
				return fmt.Errorf("rig %s cannot be used: %w", fx.Name, err)
			}
			specs.UseRig(r)
			sc, rc := GinkgoConfiguration()
			sc.LabelFilter = labels
			rc.JUnitReport = junit
			rc.JSONReport = jsonReport
			rc.Verbose = verbose
			rc.NoColor = !isTerminal(os.Stdout)
			RegisterFailHandler(Fail)
			var rec failRecorder
			start := time.Now()
			RunSpecs(&rec, "gpiohil check: "+fx.Name, sc, rc)
			w := cmd.OutOrStdout()
			printSummary(w, fx, specs.LastResults(), time.Since(start))
			if rec.failed {
				return errChecksFailed
			}
			return nil
		},
	}
	c.Flags().StringVar(&fixture, "fixture", "", "rig fixture: a YAML file or an embedded name (default \"sim\")")
	c.Flags().StringVar(&labels, "label-filter", "", "run only specs whose labels match this Ginkgo label expression")
	c.Flags().StringVar(&junit, "junit-report", "", "write a JUnit XML report to this file")
	c.Flags().StringVar(&jsonReport, "json-report", "", "write a Ginkgo JSON report (with measurements) to this file")
	c.Flags().BoolVarP(&verbose, "verbose", "v", false, "print every spec as it runs")
	return c
}

// errChecksFailed is returned when the specs ran and one failed.
var errChecksFailed = fmt.Errorf("check failed: see the failures above")

func printSummary(w io.Writer, fx *fixtures.Fixture, res specs.Results, took time.Duration) {
	fmt.Fprintf(w, "\nRig %s (%s tier, %s)\n", fx.Name, fx.Tier, fx.Source)
	if fx.Status == "untested" {
		fmt.Fprintf(w, "note: this fixture has not yet been run on its hardware\n")
	}
	if len(res.Wiring) > 0 {
		fmt.Fprintf(w, "\nWiring\n")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  wire\tMCU pin\ttarget line\tresult\tdiagnosis")
		for _, r := range res.Wiring {
			verdict := "ok"
			diag := ""
			if !r.OK {
				verdict, diag = "FAULT", r.Diagnosis()
			} else if strings.HasPrefix(r.Reverse, "not checked") {
				diag = "target→MCU " + r.Reverse
			}
			fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\n", r.Wire.Name, r.Wire.MCUPin, r.Wire.Line, verdict, diag)
		}
		tw.Flush()
		if !res.WiringOK {
			fmt.Fprintf(w, "\nEvery spec past bring-up was skipped: fix the wiring above first.\n")
		}
	}
	if len(res.Latency) > 0 {
		fmt.Fprintf(w, "\nLatency (stimulus edge to ack edge, both on the MCU's clock)\n")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  pair\tn\ttimeouts\tmin\tp50\tp90\tp99\tmax\tbudgets")
		for _, l := range res.Latency {
			var b []string
			for _, k := range []string{"p50", "p90", "p99", "p99.9", "p99.99", "max"} {
				if d, ok := l.Budgets[k]; ok {
					b = append(b, k+"≤"+d.String())
				}
			}
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%v\t%v\t%v\t%v\t%v\t%s\n", l.Pair, l.N, l.Timeouts, l.Min, l.P50, l.P90, l.P99, l.Max, strings.Join(b, " "))
		}
		tw.Flush()
	}
	if res.MinPulse > 0 {
		fmt.Fprintf(w, "\nNarrowest pulse answered edge by edge (active-both, %s): %v\n", res.MinPulseMode, res.MinPulse)
	}
	var other []error
	storms := 0
	for _, e := range res.DriverErrors {
		if errors.Is(e, clx.ErrInterruptStorm) {
			storms++ // the storm spec provokes one on purpose
			continue
		}
		other = append(other, e)
	}
	if storms > 0 {
		fmt.Fprintf(w, "\nInterrupt storms detected and stopped: %d (the storm spec provokes one)\n", storms)
	}
	if len(other) > 0 || res.LostEvents > 0 {
		fmt.Fprintf(w, "\nThe target reported %d errors outside any call and lost %d kernel events:\n", len(other), res.LostEvents)
		for i, e := range other {
			if i == 5 {
				fmt.Fprintf(w, "  … and %d more\n", len(other)-5)
				break
			}
			fmt.Fprintf(w, "  %v\n", e)
		}
	}
	fmt.Fprintf(w, "\nDone in %v.\n", took.Round(time.Millisecond))
}
