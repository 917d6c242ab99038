package bench

import (
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// CurvePoint is one point of the percentile curve.
type CurvePoint struct {
	Percentile float64 `json:"percentile"`
	NS         int64   `json:"ns"`
}

var curveQuantiles = []float64{0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.995, 99.999, 100}

// curve fills the percentile curve from the histogram.
func (p *PairResult) curve() []CurvePoint {
	if p.hist == nil || p.hist.TotalCount() == 0 {
		return nil
	}
	var c []CurvePoint
	for _, q := range curveQuantiles {
		v := p.hist.ValueAtQuantile(q)
		if q == 100 {
			v = p.hist.Max()
		}
		c = append(c, CurvePoint{Percentile: q, NS: v})
	}
	return c
}

// WriteAll writes latency.json, histogram.txt, report.html and bench.txt
// into dir (samples.csv is streamed by the run itself).
func WriteAll(dir string, r *Result) error {
	for i := range r.Pairs {
		if c := r.Pairs[i].curve(); c != nil {
			r.Pairs[i].Curve = c
		}
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("bench: encode latency.json: %w", err)
	}
	files := map[string][]byte{
		"latency.json":  append(js, '\n'),
		"histogram.txt": []byte(histogramText(r)),
		"bench.txt":     []byte(benchLines(r)),
		"report.html":   nil,
	}
	var html strings.Builder
	if err := renderHTML(&html, r); err != nil {
		return err
	}
	files["report.html"] = []byte(html.String())
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("bench: write %s: %w", name, err)
		}
	}
	return nil
}

// Load reads a latency.json.
func Load(path string) (*Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	var r Result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("bench: %s is not a latency report: %w", path, err)
	}
	if r.Schema != Schema {
		return nil, fmt.Errorf("bench: %s has schema %q; this gpiohil reads %q", path, r.Schema, Schema)
	}
	return &r, nil
}

// histogramText is cyclictest's histogram format: one line per 1 µs
// bucket up to the largest sample (at most 10 000 µs), a column per pair,
// then the summary lines cyclictest prints.
func histogramText(r *Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# gpiohil latency histogram (stimulus edge to ack edge, MCU clock), fixture %s\n", r.Metadata.Fixture)
	fmt.Fprintf(&b, "# Histogram: 1 µs buckets; columns: %s\n", pairNames(r))
	const limit = 10000
	maxUS := 0
	for _, p := range r.Pairs {
		if us := int(p.Latency.Max / 1000); us > maxUS {
			maxUS = us
		}
	}
	maxUS = min(maxUS, limit-1)
	counts := make([][]int64, len(r.Pairs))
	overflow := make([]int64, len(r.Pairs))
	for i, p := range r.Pairs {
		counts[i] = make([]int64, maxUS+1)
		if p.hist == nil {
			continue
		}
		for _, bar := range p.hist.Distribution() {
			if bar.Count == 0 {
				continue
			}
			us := int(bar.From / 1000)
			if us > maxUS {
				overflow[i] += bar.Count
				continue
			}
			counts[i][us] += bar.Count
		}
	}
	for us := 0; us <= maxUS; us++ {
		fmt.Fprintf(&b, "%06d", us)
		for i := range r.Pairs {
			fmt.Fprintf(&b, " %06d", counts[i][us])
		}
		b.WriteByte('\n')
	}
	line := func(label string, f func(p PairResult) string) {
		b.WriteString("# " + label + ":")
		for _, p := range r.Pairs {
			b.WriteString(" " + f(p))
		}
		b.WriteByte('\n')
	}
	line("Total", func(p PairResult) string { return fmt.Sprintf("%09d", p.Samples) })
	line("Min Latencies", func(p PairResult) string { return fmt.Sprintf("%05d", p.Latency.Min/1000) })
	line("Avg Latencies", func(p PairResult) string { return fmt.Sprintf("%05d", int64(p.Latency.Mean)/1000) })
	line("Max Latencies", func(p PairResult) string { return fmt.Sprintf("%05d", p.Latency.Max/1000) })
	b.WriteString("# Histogram Overflows:")
	for i := range r.Pairs {
		fmt.Fprintf(&b, " %05d", overflow[i])
	}
	b.WriteByte('\n')
	line("Timeouts", func(p PairResult) string { return fmt.Sprintf("%05d", p.Timeouts) })
	line("Missed acks", func(p PairResult) string { return fmt.Sprintf("%05d", p.MissedAcks) })
	return b.String()
}

func pairNames(r *Result) string {
	var n []string
	for _, p := range r.Pairs {
		n = append(n, p.Name)
	}
	return strings.Join(n, " ")
}

// benchLines are Go benchmark-format lines: benchstat compares two runs'
// bench.txt files. One iteration is one probe.
func benchLines(r *Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "goos: linux\npkg: gpiohil/bench\n")
	fmt.Fprintf(&b, "fixture: %s\ntier: %s\nkernel: %s\n", r.Metadata.Fixture, r.Metadata.Tier, r.Metadata.Kernel)
	for _, p := range r.Pairs {
		if p.Samples == 0 {
			continue
		}
		l := p.Latency
		fmt.Fprintf(&b, "BenchmarkLatency/fixture=%s/pair=%s \t%d\t%.0f ns/op\t%d p50-ns\t%d p90-ns\t%d p99-ns\t%d p99.9-ns\t%d max-ns\t%d timeouts\n",
			r.Metadata.Fixture, p.Name, p.Samples, l.Mean, l.P50, l.P90, l.P99, l.P999, l.Max, p.Timeouts+p.MissedAcks)
	}
	return b.String()
}

// plot geometry
const (
	plotW, plotH   = 640, 300
	padL, padB     = 70, 40
	padT, padR     = 20, 20
	innerW, innerH = plotW - padL - padR, plotH - padT - padB
)

var colors = []string{"#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989"}

type svgPlot struct {
	Width, Height int
	Elems         []template.HTML
}

func fmtNS(ns int64) string {
	return time.Duration(ns).Round(durRound(ns)).String()
}

func durRound(ns int64) time.Duration {
	switch {
	case ns >= int64(time.Second):
		return time.Millisecond
	case ns >= int64(time.Millisecond):
		return time.Microsecond
	case ns >= int64(time.Microsecond):
		return 10 * time.Nanosecond
	}
	return time.Nanosecond
}

// histogramSVG draws each pair's log-bucket histogram as steps over a
// logarithmic latency axis.
func histogramSVG(r *Result) template.HTML {
	lo, hi := int64(math.MaxInt64), int64(0)
	var maxCount int64
	for _, p := range r.Pairs {
		for i, bk := range p.Histogram {
			lower := bk.UpperNS
			if i > 0 {
				lower = p.Histogram[i-1].UpperNS
			} else {
				lower = int64(float64(bk.UpperNS) / 1.2589254117941673)
			}
			lo, hi = min(lo, max(lower, 1)), max(hi, bk.UpperNS)
			maxCount = max(maxCount, bk.Count)
		}
	}
	if hi == 0 {
		return "<p>No samples.</p>"
	}
	x := logScale(lo, hi)
	y := func(c int64) float64 { return float64(padT+innerH) - float64(c)/float64(maxCount)*innerH }
	var e []string
	e = append(e, axes(lo, hi, x, fmt.Sprintf("count (max %d)", maxCount), "latency"))
	for k, p := range r.Pairs {
		var d strings.Builder
		for i, bk := range p.Histogram {
			lower := int64(float64(bk.UpperNS) / 1.2589254117941673)
			if i > 0 {
				lower = p.Histogram[i-1].UpperNS
			}
			fmt.Fprintf(&d, "M%.1f %.1f V%.1f H%.1f V%.1f Z ", x(max(lower, 1)), y(0), y(bk.Count), x(bk.UpperNS), y(0))
		}
		e = append(e, fmt.Sprintf(`<path class="bars" d="%s" fill="%s" fill-opacity="0.35" stroke="%s" stroke-width="1"/>`,
			d.String(), colors[k%len(colors)], colors[k%len(colors)]))
	}
	e = append(e, legend(r, padL+innerW-110))
	return svg(e)
}

// cdfSVG draws latency against percentile, the percentile axis stretched
// as -log10(1 - p) so the tail (99, 99.9, 99.99 %) is visible.
func cdfSVG(r *Result) template.HTML {
	lo, hi := int64(math.MaxInt64), int64(0)
	for _, p := range r.Pairs {
		for _, c := range p.Curve {
			lo, hi = min(lo, max(c.NS, 1)), max(hi, c.NS)
		}
	}
	if hi == 0 {
		return "<p>No samples.</p>"
	}
	const maxNines = 5.0
	xq := func(q float64) float64 {
		n := maxNines
		if q < 100 {
			n = math.Min(-math.Log10(1-q/100), maxNines)
		}
		return padL + n/maxNines*innerW
	}
	ly := logScale(lo, hi)
	y := func(ns int64) float64 { // reuse the log scale vertically
		return float64(padT+innerH) - (ly(max(ns, 1))-padL)/innerW*innerH
	}
	var e []string
	e = append(e, fmt.Sprintf(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#444"/><line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#444"/>`,
		padL, padT+innerH, padL+innerW, padT+innerH, padL, padT, padL, padT+innerH))
	for _, q := range []float64{0, 90, 99, 99.9, 99.99, 99.999} {
		e = append(e, fmt.Sprintf(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/><text x="%.1f" y="%d" text-anchor="middle" font-size="11">%g%%</text>`,
			xq(q), padT, xq(q), padT+innerH, xq(q), padT+innerH+16, q))
	}
	for _, t := range decadeTicks(lo, hi) {
		if y(t) < padT || y(t) > padT+innerH {
			continue
		}
		e = append(e, fmt.Sprintf(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end" font-size="11">%s</text>`,
			padL, y(t), padL+innerW, y(t), padL-6, y(t)+4, fmtNS(t)))
	}
	e = append(e, fmt.Sprintf(`<text x="%d" y="%d" text-anchor="middle" font-size="12">percentile</text>`, padL+innerW/2, plotH-4))
	for k, p := range r.Pairs {
		var pts []string
		for _, c := range p.Curve {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", xq(c.Percentile), y(c.NS)))
		}
		e = append(e, fmt.Sprintf(`<polyline class="cdf" points="%s" fill="none" stroke="%s" stroke-width="2"/>`,
			strings.Join(pts, " "), colors[k%len(colors)]))
		for _, c := range p.Curve {
			e = append(e, fmt.Sprintf(`<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"><title>%s p%g: %s</title></circle>`,
				xq(c.Percentile), y(c.NS), colors[k%len(colors)], p.Name, c.Percentile, fmtNS(c.NS)))
		}
	}
	e = append(e, legend(r, padL+12))
	return svg(e)
}

func logScale(lo, hi int64) func(int64) float64 {
	l, h := math.Log10(float64(lo)), math.Log10(float64(hi))
	if h-l < 1 {
		l, h = l-0.5, h+0.5
	}
	return func(v int64) float64 { return padL + (math.Log10(float64(max(v, 1)))-l)/(h-l)*innerW }
}

func decadeTicks(lo, hi int64) []int64 {
	var t []int64
	for d := int64(1); d <= hi*10 && d > 0; d *= 10 {
		for _, m := range []int64{1, 2, 5} {
			v := d * m
			if v >= lo/2 && v <= hi*2 {
				t = append(t, v)
			}
		}
	}
	return t
}

func axes(lo, hi int64, x func(int64) float64, ylabel, xlabel string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#444"/><line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#444"/>`,
		padL, padT+innerH, padL+innerW, padT+innerH, padL, padT, padL, padT+innerH)
	for _, t := range decadeTicks(lo, hi) {
		if x(t) < padL || x(t) > padL+innerW {
			continue
		}
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/><text x="%.1f" y="%d" text-anchor="middle" font-size="11">%s</text>`,
			x(t), padT, x(t), padT+innerH, x(t), padT+innerH+16, fmtNS(t))
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="12">%s</text>`, padL+innerW/2, plotH-4, xlabel)
	fmt.Fprintf(&b, `<text x="14" y="%d" text-anchor="middle" font-size="12" transform="rotate(-90 14 %d)">%s</text>`, padT+innerH/2, padT+innerH/2, ylabel)
	return b.String()
}

func legend(r *Result, x int) string {
	var b strings.Builder
	for k, p := range r.Pairs {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d" font-size="11">%s</text>`,
			x, padT+4+k*16, colors[k%len(colors)], x+15, padT+13+k*16, p.Name)
	}
	return b.String()
}

func svg(elems []string) template.HTML {
	return template.HTML(fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif">%s</svg>`,
		plotW, plotH, plotW, plotH, strings.Join(elems, "")))
}

type htmlRow struct {
	Pair, Stat                   string
	Min, Mean, Std               string
	P50, P90, P99, P999, P9999   string
	Max                          string
	Samples, Timeouts, MissedAck string
	Lost                         string
}

func rowOf(pair, stat string, s Stats) htmlRow {
	return htmlRow{Pair: pair, Stat: stat, Min: fmtNS(s.Min), Mean: fmtNS(int64(s.Mean)), Std: fmtNS(int64(s.StdDev)),
		P50: fmtNS(s.P50), P90: fmtNS(s.P90), P99: fmtNS(s.P99), P999: fmtNS(s.P999), P9999: fmtNS(s.P9999), Max: fmtNS(s.Max),
		Samples: fmt.Sprint(s.Count)}
}

var page = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>gpiohil latency — {{.R.Metadata.Fixture}}</title>
<style>
body{font-family:sans-serif;margin:2em;color:#1f2328;max-width:1100px}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:right;font-size:13px}
th{background:#f6f8fa}td.l,th.l{text-align:left}h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.5em}
.plots{display:flex;flex-wrap:wrap;gap:1em}.note{color:#656d76;font-size:13px}
</style></head><body>
<h1>gpiohil latency: {{.R.Metadata.Fixture}} ({{.R.Metadata.Tier}} tier)</h1>
<p class="note">Stimulus edge to ack edge, both timed by the MCU ({{.R.Metadata.MCU.Board}}, {{.R.Metadata.MCU.TickHz}} Hz).
{{.R.Settings.N}} probes per pair{{if .R.Metadata.Interrupted}} requested — <strong>interrupted</strong>: the numbers cover the probes taken{{end}}.</p>
<h2>Summary</h2>
<table><tr><th class="l">pair</th><th class="l">what</th><th>samples</th><th>timeouts</th><th>missed acks</th><th>lost</th><th>min</th><th>mean</th><th>stddev</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>p99.99</th><th>max</th></tr>
{{range .Rows}}<tr><td class="l">{{.Pair}}</td><td class="l">{{.Stat}}</td><td>{{.Samples}}</td><td>{{.Timeouts}}</td><td>{{.MissedAck}}</td><td>{{.Lost}}</td><td>{{.Min}}</td><td>{{.Mean}}</td><td>{{.Std}}</td><td>{{.P50}}</td><td>{{.P90}}</td><td>{{.P99}}</td><td>{{.P999}}</td><td>{{.P9999}}</td><td>{{.Max}}</td></tr>
{{end}}</table>
<p class="note">Resolution: {{.Resolution}}.</p>
{{if .R.Metadata.Clock.Split}}<p class="note">Split on host time: MCU ticks mapped by {{.R.Metadata.Clock.MCUAlignment}}{{.Uncertainty}},
controller timestamps from the {{.R.Metadata.Clock.ControllerClock}}{{.CtrlUncertainty}}; each component is known to ± {{.SplitUncertainty}}.
{{if .R.Metadata.Clock.NegativeComponents}}{{.R.Metadata.Clock.NegativeComponents}} component values came out negative and were left out
({{.R.Metadata.Clock.NegativeBeyondUncertainty}} of them by more than the uncertainty).{{end}}</p>{{end}}
<div class="plots">
<div><h2>Histogram</h2>{{.Hist}}</div>
<div><h2>Percentiles</h2>{{.CDF}}</div>
</div>
<h2>Run</h2>
<table>{{range .Meta}}<tr><th class="l">{{index . 0}}</th><td class="l">{{index . 1}}</td></tr>{{end}}</table>
</body></html>
`))

func renderHTML(w *strings.Builder, r *Result) error {
	var rows []htmlRow
	for _, p := range r.Pairs {
		row := rowOf(p.Name, "latency", p.Latency)
		row.Timeouts, row.MissedAck, row.Lost = fmt.Sprint(p.Timeouts), fmt.Sprint(p.MissedAcks), fmt.Sprint(p.Lost)
		rows = append(rows, row)
		for _, c := range []string{WireToController, ControllerToISR, ISRToAck, AckWire} {
			if s, ok := p.Components[c]; ok {
				rows = append(rows, rowOf("", strings.ReplaceAll(c, "_", " "), s))
			}
		}
	}
	m := r.Metadata
	meta := [][2]string{
		{"fixture", m.Fixture + " (" + m.FixtureFile + ")"}, {"tier", m.Tier}, {"host", m.Host},
		{"kernel", m.Kernel}, {"PREEMPT_RT", fmt.Sprint(m.PreemptRT)}, {"CPU governor", m.Governor},
		{"isolated CPUs", m.IsolatedCPUs}, {"CPUs", fmt.Sprint(m.CPUs)},
		{"MCU", fmt.Sprintf("%s, firmware %s, protocol %d, %d Hz, %s", m.MCU.Board, m.MCU.Firmware, m.MCU.Protocol, m.MCU.TickHz, m.MCU.Port)},
		{"gpiohil", m.Version + " " + m.Commit}, {"Go", m.GoVersion},
		{"started", m.Started.Format(time.RFC3339)}, {"finished", m.Finished.Format(time.RFC3339)},
		{"settings", fmt.Sprintf("n=%d warmup=%d rate=%g/s timeout=%v", r.Settings.N, r.Settings.Warmup, r.Settings.Rate, time.Duration(r.Settings.TimeoutNS))},
	}
	plusMinus := func(ns int64) string {
		if ns > 0 {
			return ", ± " + fmtNS(ns)
		}
		return ""
	}
	res := fmt.Sprintf("%s (one MCU tick", fmtNS(m.Clock.ResolutionNS))
	if m.Clock.WireResolutionNS > 0 {
		res += fmt.Sprintf(" and the wires' sensing period, %s, by which an ack's capture may be late", fmtNS(m.Clock.WireResolutionNS))
	}
	res += ")"
	return page.Execute(w, map[string]any{"R": r, "Rows": rows, "Meta": meta, "Hist": histogramSVG(r), "CDF": cdfSVG(r),
		"Uncertainty": plusMinus(m.Clock.MCUUncertaintyNS), "CtrlUncertainty": plusMinus(m.Clock.ControllerUncertaintyNS),
		"SplitUncertainty": fmtNS(m.Clock.SplitUncertaintyNS), "Resolution": res})
}
