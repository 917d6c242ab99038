package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/gpiohil/gpiohil/bench"
	"github.com/gpiohil/gpiohil/fixtures"
	"github.com/gpiohil/gpiohil/rig"
)

// commit is set at build time (make dist).
var commit = ""

func newBenchCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "bench",
		Short: "Measure interrupt latency distributions and compare runs",
	}
	c.AddCommand(newBenchLatencyCmd(), newBenchCompareCmd())
	return c
}

func newBenchLatencyCmd() *cobra.Command {
	var fixture, out string
	var opts bench.Options
	c := &cobra.Command{
		Use:   "latency",
		Short: "Probe every pair N times and write latency distributions and reports",
		Long: `Probe each pair N times through the MCU — stimulus edge to ack edge, both timed on the
MCU's clock. The MCU runs the probes as a train on its own (back to back, or one every
1/--rate s) and streams the results back, so the link's round trip does not pace them:
a million probes on the sim rig take seconds. Write into --out:

  latency.json    the results, schema in bench/README.md (gpiohil bench compare reads it)
  samples.csv     every probe, streamed to disk as it is taken
  histogram.txt   a cyclictest-style 1 µs histogram
  report.html     a self-contained page: histogram, percentile plot, summary, metadata
  bench.txt       Go benchmark lines, for benchstat

Where the target timestamps its own events (the sim controller; the kernel on cdev),
each sample is also split into wire→controller, controller→ISR and ISR→ack (and, where
the controller timestamps outputs, the ack wire). Each run states the tier's resolution
and each component's uncertainty. Probes whose results never reached the host are
counted as lost, never dropped silently.
Ctrl-C stops cleanly and keeps everything measured so far (exit status 130).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fx, err := fixtures.Load(fixture)
			if err != nil {
				return usagef("%v", err)
			}
			if opts.N < 1 || opts.Warmup < 0 || opts.Rate < 0 {
				return usagef("-n must be at least 1, --warmup and --rate not negative")
			}
			if out == "" {
				out = filepath.Join("bench-out", time.Now().Format("20060102-150405"))
			}
			opts.Out = out
			opts.Progress = cmd.ErrOrStderr()
			opts.Terminal = isTerminal(os.Stderr)
			opts.Version, opts.Commit = version, commit
			ctx := cmd.Context()
			r, err := rig.Open(ctx, fx)
			if err != nil {
				return err
			}
			defer r.Close()
			res, err := bench.Latency(ctx, r, opts)
			if res != nil {
				printBench(cmd, res, out)
			}
			if errors.Is(err, bench.ErrInterrupted) {
				return &interruptedError{err}
			}
			return err
		},
	}
	c.Flags().StringVar(&fixture, "fixture", "", "rig fixture: a YAML file or an embedded name (default \"sim\")")
	c.Flags().StringSliceVar(&opts.Pairs, "pair", nil, "probe pair to measure (repeatable; default all)")
	c.Flags().IntVarP(&opts.N, "count", "n", 1000, "probes recorded per pair")
	c.Flags().Float64Var(&opts.Rate, "rate", 0, "probes per second per pair (0: back to back)")
	c.Flags().IntVar(&opts.Warmup, "warmup", 50, "probes per pair before recording")
	c.Flags().DurationVar(&opts.Timeout, "timeout", 0, "per-probe timeout (default: the fixture's)")
	c.Flags().StringVar(&out, "out", "", "output directory (default bench-out/TIMESTAMP)")
	return c
}

// interruptedError exits 130, as an interrupted command does.
type interruptedError struct{ err error }

func (e *interruptedError) Error() string { return e.err.Error() }
func (e *interruptedError) Unwrap() error { return e.err }

func printBench(cmd *cobra.Command, res *bench.Result, out string) {
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "Latency on %s (%s tier), stimulus edge to ack edge on the MCU's clock\n", res.Metadata.Fixture, res.Metadata.Tier)
	for _, p := range res.Pairs {
		l := p.Latency
		fmt.Fprintf(w, "  %-8s n=%-6d timeouts=%d missed-acks=%d lost=%d  min %v  p50 %v  p90 %v  p99 %v  p99.9 %v  p99.99 %v  max %v\n",
			p.Name, p.Samples, p.Timeouts, p.MissedAcks, p.Lost, d(l.Min), d(l.P50), d(l.P90), d(l.P99), d(l.P999), d(l.P9999), d(l.Max))
		for _, c := range []string{bench.WireToController, bench.ControllerToISR, bench.ISRToAck, bench.AckWire} {
			if s, ok := p.Components[c]; ok {
				fmt.Fprintf(w, "    %-20s p50 %v  p99 %v  max %v\n", c, d(s.P50), d(s.P99), d(s.Max))
			}
		}
		if b := p.Bus; b != nil && l.P50 > 0 {
			fmt.Fprintf(w, "    %-20s %.1f transactions, %v a probe: %.1f%% of the median\n", "i2c bus", b.TransactionsPerProbe,
				d(b.BusyPerProbeNS), 100*float64(b.BusyPerProbeNS)/float64(l.P50))
		}
	}
	c := res.Metadata.Clock
	fmt.Fprintf(w, "Resolution %v (MCU tick %v, wires %v)", d(c.ResolutionNS), d(c.MCUTickNS), d(c.WireResolutionNS))
	if c.Split {
		fmt.Fprintf(w, "; each component ± %v, %d negative (%d beyond that)", d(c.SplitUncertaintyNS), c.NegativeComponents, c.NegativeBeyondUncertainty)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Reports in %s: latency.json samples.csv histogram.txt report.html bench.txt\n", out)
}

func d(ns int64) time.Duration { return time.Duration(ns) }

func newBenchCompareCmd() *cobra.Command {
	var maxRegress string
	c := &cobra.Command{
		Use:   "compare OLD.json NEW.json",
		Short: "Compare two latency runs; exit 1 when a regression passes its threshold",
		Long: `Print the change of every statistic of every pair two runs share. With
--max-regress p99=10%,p99.9=20% the command exits 1 when a statistic grew by more than
its threshold, so lab CI can gate on it.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			th, err := bench.ParseThresholds(maxRegress)
			if err != nil {
				return usagef("%v", err)
			}
			old, err := bench.Load(args[0])
			if err != nil {
				return usagef("%v", err)
			}
			cur, err := bench.Load(args[1])
			if err != nil {
				return usagef("%v", err)
			}
			regs := bench.Compare(cmd.OutOrStdout(), old, cur, th)
			if len(regs) > 0 {
				return fmt.Errorf("%d regressions beyond their thresholds (first: %s %s %+.1f%% > +%.0f%%)",
					len(regs), regs[0].Pair, regs[0].Stat, regs[0].Change*100, regs[0].Limit*100)
			}
			return nil
		},
	}
	c.Flags().StringVar(&maxRegress, "max-regress", "", "thresholds, e.g. p99=10%,p99.9=20%")
	return c
}
