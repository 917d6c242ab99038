package main

import (
	"bytes"
	"strings"
	"testing"
)

// Two runs of go test -bench and two of the guest's measurement: each
// ratio is taken within its run, the median over runs reported.
const twoRuns = `goos: linux
BenchmarkEdgeDispatch/bare-2         	13014636	        80.00 ns/op	       0 B/op	       0 allocs/op
BenchmarkEdgeDispatch/clx-2          	 4743184	       120.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkIO/read/direct-2            	87909601	        10.00 ns/op	       0 B/op	       0 allocs/op
BenchmarkIO/read/clx-2               	23230386	        40.00 ns/op	       0 B/op	       0 allocs/op
PASS
BenchmarkEdgeDispatch/bare-2         	13014636	        40.00 ns/op	       0 B/op	       0 allocs/op
BenchmarkEdgeDispatch/clx-2          	 4743184	        56.00 ns/op	       0 B/op	       1 allocs/op
BenchmarkIO/read/direct-2            	87909601	        10.00 ns/op	       0 B/op	       0 allocs/op
BenchmarkIO/read/clx-2               	23230386	        12.00 ns/op	       0 B/op	       0 allocs/op
    cdev_test.go:389: OVERHEAD unpaced-delivered bare=0.80 clx=0.78 unit=%
    cdev_test.go:389: OVERHEAD unpaced-delivered bare=0.50 clx=0.49 unit=%
`

func TestRatiosWithinEachRun(t *testing.T) {
	s, err := parse(strings.NewReader(twoRuns))
	if err != nil {
		t.Fatal(err)
	}
	rs := table(s)
	byName := map[string]row{}
	for _, r := range rs {
		byName[r.bare+" "+r.clx] = r
	}
	edge := byName["BenchmarkEdgeDispatch/bare BenchmarkEdgeDispatch/clx"]
	// Ratios 1.5 and 1.4: median 1.45, though the medians of the sides
	// (60 and 88 ns) would say 1.47.
	if got := median(edge.ratios); got < 1.4499 || got > 1.4501 {
		t.Errorf("edge dispatch ratio %v, want 1.45", got)
	}
	if edge.clxAllocs != 1 || edge.met() {
		t.Errorf("an allocating clx side must miss a 0-allocs goal (allocs %v)", edge.clxAllocs)
	}
	read := byName["BenchmarkIO/read/direct BenchmarkIO/read/clx"]
	if got := median(read.ratios); got < 2.5999 || got > 2.6001 || read.met() {
		t.Errorf("read ratio %v (ratios %v), want 2.6 and missed", got, read.ratios)
	}
	unpaced := byName["unpaced-delivered/bare unpaced-delivered/clx"]
	if len(unpaced.ratios) != 2 || !unpaced.met() {
		t.Errorf("unpaced ratios %v: want two, meeting ≥ 0.95", unpaced.ratios)
	}
	var out bytes.Buffer
	if missed := render(&out, rs); missed != 2 {
		t.Errorf("%d rows missed, want 2 (edge allocs, read)\n%s", missed, out.String())
	}
	if !strings.Contains(out.String(), "not measured") {
		t.Errorf("rows with no figures must say so:\n%s", out.String())
	}
}

func TestBadLinesNamed(t *testing.T) {
	for _, in := range []string{
		"BenchmarkIO/read/clx-2  100  fast ns/op",
		"OVERHEAD latency-median bare=1.0 clx",
		"OVERHEAD latency-median bare=x clx=2",
	} {
		if _, err := parse(strings.NewReader("ok\n" + in + "\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%q: error %v, want one naming line 2", in, err)
		}
	}
}
