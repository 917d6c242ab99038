package bench

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Thresholds are the largest allowed regressions by statistic name, as
// fractions (0.10 = 10 %).
type Thresholds map[string]float64

// ParseThresholds parses "p99=10%,p99.9=20%" (the % is optional).
func ParseThresholds(s string) (Thresholds, error) {
	t := Thresholds{}
	if strings.TrimSpace(s) == "" {
		return t, nil
	}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("bench: threshold %q: want STAT=PERCENT, e.g. p99=10%%", part)
		}
		if _, known := (Stats{}).Get(k); !known {
			return nil, fmt.Errorf("bench: threshold %q: unknown statistic %q (min, mean, p50, p90, p99, p99.9, p99.99, max)", part, k)
		}
		f, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
		if err != nil || f < 0 {
			return nil, fmt.Errorf("bench: threshold %q: %q is not a non-negative percentage", part, v)
		}
		t[k] = f / 100
	}
	return t, nil
}

// Regression is a statistic that grew past its threshold.
type Regression struct {
	Pair, Stat string
	Old, New   int64
	Change     float64 // fraction
	Limit      float64
}

// Compare prints a table of the change of every statistic of every pair
// the two runs share, and returns the regressions beyond thresholds.
func Compare(w io.Writer, old, cur *Result, th Thresholds) []Regression {
	stats := []string{"min", "mean", "p50", "p90", "p99", "p99.9", "p99.99", "max"}
	fmt.Fprintf(w, "old: %s (%s, %s, %d probes/pair)\nnew: %s (%s, %s, %d probes/pair)\n\n",
		old.Metadata.Fixture, old.Metadata.Kernel, old.Metadata.Started.Format(time.RFC3339), old.Settings.N,
		cur.Metadata.Fixture, cur.Metadata.Kernel, cur.Metadata.Started.Format(time.RFC3339), cur.Settings.N)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "pair\tstat\told\tnew\tdelta\tlimit\t")
	var regs []Regression
	byName := map[string]PairResult{}
	for _, p := range old.Pairs {
		byName[p.Name] = p
	}
	var names []string
	for _, p := range cur.Pairs {
		if _, ok := byName[p.Name]; ok {
			names = append(names, p.Name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		o := byName[name]
		var n PairResult
		for _, p := range cur.Pairs {
			if p.Name == name {
				n = p
			}
		}
		for _, s := range stats {
			ov, _ := o.Latency.Get(s)
			nv, _ := n.Latency.Get(s)
			change := 0.0
			if ov > 0 {
				change = float64(nv-ov) / float64(ov)
			}
			limit, gated := th[s]
			mark, lim := "", ""
			if gated {
				lim = fmt.Sprintf("+%.0f%%", limit*100)
				if change > limit {
					mark = "  REGRESSION"
					regs = append(regs, Regression{Pair: name, Stat: s, Old: ov, New: nv, Change: change, Limit: limit})
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%+.1f%%\t%s\t%s\n", name, s, fmtNS(ov), fmtNS(nv), change*100, lim, mark)
		}
		if o.Timeouts+o.MissedAcks != n.Timeouts+n.MissedAcks {
			fmt.Fprintf(tw, "%s\ttimeouts\t%d\t%d\t\t\t\n", name, o.Timeouts+o.MissedAcks, n.Timeouts+n.MissedAcks)
		}
	}
	tw.Flush()
	for _, p := range cur.Pairs {
		if _, ok := byName[p.Name]; !ok {
			fmt.Fprintf(w, "pair %s is only in the new run\n", p.Name)
		}
	}
	return regs
}
