package specs

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/fixtures"
	"github.com/gpiohil/gpiohil/rig"
)

// Results is what a run measured, for summaries beyond Ginkgo's report.
type Results struct {
	Fixture  *fixtures.Fixture
	Wiring   []rig.WireResult
	WiringOK bool
	Latency  []LatencyResult
	// PulseFloors are the narrowest pulses measured: answered edge by
	// edge by an active-both responder, passed by a debounce filter.
	PulseFloors []PulseFloor
	// Timestamps is how the controller's event timestamps agreed with the
	// MCU's edge times, where the controller stamps its events.
	Timestamps *TimestampAgreement
	// EdgeAccounts are where the rising edges of pulse trains at each
	// spacing went: delivered, merged, lost.
	EdgeAccounts []EdgeAccount
	// DriverErrors are errors the target's driver and clx reported outside
	// any call (lost kernel events, controller-driver errors in dispatch):
	// the first the rig keeps, of DriverErrorTotal.
	DriverErrors     []error
	DriverErrorTotal int
	LostEvents       uint64
	// FaultsProvoked are the reported errors the faults specs provoked by
	// making the controller driver fail.
	FaultsProvoked []error
	// Skipped lists the specs skipped on purpose, each as "spec: reason".
	Skipped []string
	// Specs is each spec's outcome, in the order they ran, for markers
	// and engines (see WriteMarkers).
	Specs []SpecOutcome
	// Failed reports whether a spec failed; Duration is the run's length.
	Failed   bool
	Duration time.Duration
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

// TimestampAgreement is how a controller's event timestamps compared with
// the MCU's own times of the same edges, on host time.
type TimestampAgreement struct {
	Edges int
	// FirstAfterDrive and LastAfterDrive bound stamp − drive over the
	// edges: the wire to the controller, as the two clocks see it.
	FirstAfterDrive, LastAfterDrive time.Duration
	// Uncertainty is the two clocks' alignment error; Clocks names them.
	Uncertainty time.Duration
	Clocks      string
}

// String summarises the agreement in a line.
func (t TimestampAgreement) String() string {
	return fmt.Sprintf("%d edges in order, each stamped between the MCU's drive and its ack capture: stamp − drive %v … %v (± %v; %s)",
		t.Edges, t.FirstAfterDrive, t.LastAfterDrive, t.Uncertainty, t.Clocks)
}

// budgetOrder is the order budgets are printed in.
var budgetOrder = []string{"p50", "p90", "p99", "p99.9", "p99.99", "max"}

// WriteSummary prints what the run found beyond pass and fail: the
// wiring table, the latency per pair with its budgets, the narrowest
// pulse answered, storms provoked, and errors or lost events the target
// reported outside any call.
func (res Results) WriteSummary(w io.Writer) {
	if fx := res.Fixture; fx != nil {
		fmt.Fprintf(w, "\nRig %s (%s tier, %s)\n", fx.Name, fx.Tier, fx.Source)
		if fx.Status == "untested" {
			fmt.Fprintf(w, "note: this fixture has not yet been run on its hardware\n")
		}
	}
	res.writeWiring(w)
	res.writeLatency(w)
	if len(res.PulseFloors) > 0 {
		fmt.Fprintf(w, "\nNarrowest pulses (by bisection; asked of the MCU, driven as it captured them)\n")
		for _, f := range res.PulseFloors {
			fmt.Fprintf(w, "  %s\n", f)
		}
	}
	if res.Timestamps != nil {
		fmt.Fprintf(w, "\nController timestamps\n  %s\n", res.Timestamps)
	}
	if len(res.EdgeAccounts) > 0 {
		tw := table(w, fmt.Sprintf("Edges under load (trains of %d rising edges; merged: into a delivery already latched; lost: by the kernel)", accountEdges),
			"spacing\tdriven\tsent\tdelivered\tmerged\tlost")
		for _, a := range res.EdgeAccounts {
			fmt.Fprintf(tw, "  %s\n", a)
		}
		tw.Flush()
	}
	res.writeDriverErrors(w)
	res.writeSkipped(w)
	fmt.Fprintf(w, "\nDone in %v.\n", res.Duration.Round(time.Millisecond))
}

func (res Results) writeWiring(w io.Writer) {
	if len(res.Wiring) == 0 {
		return
	}
	tw := table(w, "Wiring", "wire\tMCU pin\ttarget line\tresult\tdiagnosis")
	for _, r := range res.Wiring {
		verdict, diag := "ok", ""
		if !r.OK {
			verdict, diag = "FAULT", r.Diagnosis()
		} else if r.Reverse.Skipped != "" {
			diag = "target→MCU " + r.Reverse.String()
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\n", r.Wire.Name, r.Wire.MCUPin, r.Wire.Line, verdict, diag)
	}
	tw.Flush()
	if !res.WiringOK {
		fmt.Fprintf(w, "\nEvery spec past bring-up was skipped: fix the wiring above first.\n")
	}
}

func (res Results) writeLatency(w io.Writer) {
	if len(res.Latency) == 0 {
		return
	}
	tw := table(w, "Latency (stimulus edge to ack edge, both on the MCU's clock)", "pair\tn\ttimeouts\tmin\tp50\tp90\tp99\tmax\tbudgets")
	for _, l := range res.Latency {
		var b []string
		for _, k := range budgetOrder {
			if d, ok := l.Budgets[k]; ok {
				b = append(b, k+"≤"+d.String())
			}
		}
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%v\t%v\t%v\t%v\t%v\t%s\n", l.Pair, l.N, l.Timeouts, l.Min, l.P50, l.P90, l.P99, l.Max, strings.Join(b, " "))
	}
	tw.Flush()
}

// table starts a titled, indented table whose columns are tab-separated;
// Flush it when its rows are written.
func table(w io.Writer, title, header string) *tabwriter.Writer {
	fmt.Fprintf(w, "\n%s\n", title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  "+header)
	return tw
}

// writeDriverErrors counts the storms, panics, removals and injected
// driver faults apart — specs provoke them on purpose — and lists the
// first other errors.
func (res Results) writeDriverErrors(w io.Writer) {
	var other []error
	storms, panics, removals, faults := 0, 0, 0, 0
	for _, e := range res.DriverErrors {
		switch {
		case slices.Contains(res.FaultsProvoked, e):
			faults++
		case errors.Is(e, clx.ErrInterruptStorm):
			storms++
		case errors.Is(e, clx.ErrISRPanic):
			panics++
		case errors.Is(e, clx.ErrControllerGone):
			removals++
		default:
			other = append(other, e)
		}
	}
	if storms > 0 {
		fmt.Fprintf(w, "\nInterrupt storms detected and stopped: %d (the storm spec provokes one)\n", storms)
	}
	if panics > 0 {
		fmt.Fprintf(w, "\nPanicking ISRs contained: %d (the containment specs provoke them)\n", panics)
	}
	if removals > 0 {
		fmt.Fprintf(w, "\nController removals noticed by dispatch: %d (the removal spec provokes one)\n", removals)
	}
	if faults > 0 {
		fmt.Fprintf(w, "\nController-driver faults reported outside any call: %d (the faults specs provoke them)\n", faults)
	}
	if res.DriverErrorTotal > len(res.DriverErrors) {
		fmt.Fprintf(w, "\nThe target reported %d errors outside any call in all; the counts here are of the first %d.\n", res.DriverErrorTotal, len(res.DriverErrors))
	}
	if len(other) == 0 && res.LostEvents == 0 {
		return
	}
	fmt.Fprintf(w, "\nThe target reported %d errors outside any call and lost %d kernel events:\n", len(other), res.LostEvents)
	for i, e := range other {
		if i == 5 {
			fmt.Fprintf(w, "  … and %d more\n", len(other)-5)
			break
		}
		fmt.Fprintf(w, "  %v\n", e)
	}
}

// writeSkipped lists the specs skipped on purpose under their reasons,
// unless broken wiring skipped them all (the wiring table says why).
func (res Results) writeSkipped(w io.Writer) {
	if len(res.Skipped) == 0 || (res.Wiring != nil && !res.WiringOK) {
		return
	}
	fmt.Fprintf(w, "\nSkipped on purpose (%d)\n", len(res.Skipped))
	var reasons []string
	specs := map[string][]string{}
	for _, s := range res.Skipped {
		spec, reason, _ := strings.Cut(s, ": ")
		if specs[reason] == nil {
			reasons = append(reasons, reason)
		}
		specs[reason] = append(specs[reason], spec)
	}
	for _, r := range reasons {
		fmt.Fprintf(w, "  %s:\n", r)
		for _, s := range specs[r] {
			fmt.Fprintf(w, "    %s\n", s)
		}
	}
}
