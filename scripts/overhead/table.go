package main

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"text/tabwriter"
)

// row is one measure of the table: a bare baseline, the same work through
// clx, and the goal for their ratio.
type row struct {
	measure   string
	bare, clx string  // sample names
	goal      float64 // the ratio clx/bare must be at most this (at least, when higher); 0: shown, not judged
	higher    bool    // the measure is a rate: higher is better
	noAllocs  bool    // clx must not allocate either
	ratios    []float64
	bareV     float64 // median of the bare figures
	clxV      float64 // median of the clx figures
	unit      string
	clxAllocs float64 // largest allocs/op seen on the clx side
}

// rows are the measures clx is held to: the sim controller's benchmarks
// (make bench) and the QEMU guest's cdev measurements (make bench-vm).
func rows() []row {
	return []row{
		{measure: "edge dispatch, sim controller", bare: "BenchmarkEdgeDispatch/bare", clx: "BenchmarkEdgeDispatch/clx", goal: 1.5, noAllocs: true},
		{measure: "  (same, against a bare handler also given level and timestamp)", bare: "BenchmarkEdgeDispatch/bare-described", clx: "BenchmarkEdgeDispatch/clx"},
		{measure: "  (same, against a bare handler that also serialises and contains panics)", bare: "BenchmarkEdgeDispatch/bare-guaranteed", clx: "BenchmarkEdgeDispatch/clx"},
		{measure: "  (same, with Options.StampDispatch, against clx without)", bare: "BenchmarkEdgeDispatch/clx", clx: "BenchmarkEdgeDispatch/clx-stamped"},
		{measure: "  (same, with the controller's panic guards, against clx without)", bare: "BenchmarkEdgeDispatch/clx-unguarded", clx: "BenchmarkEdgeDispatch/clx"},
		{measure: "emulated active-both dispatch", bare: "BenchmarkEdgeDispatch/bare", clx: "BenchmarkEdgeDispatch/clx-emulated-both", goal: 2},
		{measure: "I/O read, 4 pins", bare: "BenchmarkIO/read/direct", clx: "BenchmarkIO/read/clx", goal: 1.5},
		{measure: "  (same, against a direct call that also serialises and contains panics)", bare: "BenchmarkIO/read/direct-guaranteed", clx: "BenchmarkIO/read/clx"},
		{measure: "I/O write, 4 pins", bare: "BenchmarkIO/write/direct", clx: "BenchmarkIO/write/clx", goal: 1.25},
		{measure: "  (same, against a direct call that also serialises and contains panics)", bare: "BenchmarkIO/write/direct-guaranteed", clx: "BenchmarkIO/write/clx"},
		{measure: "QEMU guest: kernel edge timestamp → handler, median", bare: "latency-median/bare", clx: "latency-median/clx", goal: 1.05},
		{measure: "same, p99", bare: "latency-p99/bare", clx: "latency-p99/clx", goal: 1.10},
		{measure: "QEMU guest: unpaced toggling, edges delivered of those sent", bare: "unpaced-delivered/bare", clx: "unpaced-delivered/clx", goal: 0.95, higher: true},
	}
}

// table fills each row from the samples: the k-th bare figure is paired
// with the k-th clx figure (one run), and the medians taken.
func table(s samples) []row {
	out := rows()
	for i := range out {
		r := &out[i]
		b, c := s[r.bare], s[r.clx]
		n := min(len(b), len(c))
		var bv, cv []float64
		for k := 0; k < n; k++ {
			if b[k].value > 0 {
				r.ratios = append(r.ratios, c[k].value/b[k].value)
			}
			bv, cv = append(bv, b[k].value), append(cv, c[k].value)
			r.unit = c[k].unit
			if c[k].hasAllocs && c[k].allocs > r.clxAllocs {
				r.clxAllocs = c[k].allocs
			}
		}
		r.bareV, r.clxV = median(bv), median(cv)
	}
	return out
}

// met reports whether a measured row meets its goal.
func (r *row) met() bool {
	m := median(r.ratios)
	ok := m <= r.goal
	if r.higher {
		ok = m >= r.goal
	}
	return ok && (!r.noAllocs || r.clxAllocs == 0)
}

// render prints the table and returns how many measured rows miss their
// goal; rows with no figures are listed as not measured.
func render(w io.Writer, rs []row) (missed int) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "measure\tbare\tclx\tratio (median)\truns\tgoal\t")
	for i := range rs {
		r := &rs[i]
		cmp := "≤ "
		if r.higher {
			cmp = "≥ "
		}
		goal := cmp + strconv.FormatFloat(r.goal, 'f', -1, 64) + "×"
		if r.noAllocs {
			goal += ", 0 allocs"
		}
		if r.goal == 0 {
			goal = "-"
		}
		if len(r.ratios) == 0 {
			fmt.Fprintf(tw, "%s\t-\t-\tnot measured\t0\t%s\t\n", r.measure, goal)
			continue
		}
		verdict := "met"
		switch {
		case r.goal == 0:
			verdict = ""
		case !r.met():
			verdict = "MISSED"
			missed++
		}
		allocs := ""
		if r.noAllocs {
			allocs = fmt.Sprintf(", %g allocs", r.clxAllocs)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s%s\t%.2f×\t%d\t%s\t%s\n", r.measure, value(r.bareV, r.unit), value(r.clxV, r.unit), allocs,
			median(r.ratios), len(r.ratios), goal, verdict)
	}
	tw.Flush()
	return missed
}

func value(v float64, unit string) string {
	return strconv.FormatFloat(v, 'g', 4, 64) + " " + unit
}

// median of xs (the mean of the middle two for an even count); 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
