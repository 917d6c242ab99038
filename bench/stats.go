package bench

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram range: 1 ns to 100 s at 3 significant digits.
const (
	lowestNS  = 1
	highestNS = int64(100 * time.Second)
	sigFigs   = 3
)

func newHistogram() *hdrhistogram.Histogram { return hdrhistogram.New(lowestNS, highestNS, sigFigs) }

// Distribution records durations in an HDR histogram (1 ns to 100 s,
// three significant digits): gpiohil's one percentile engine, used by the
// bench, the latency specs and mcu ping alike.
type Distribution struct{ h *hdrhistogram.Histogram }

// NewDistribution returns an empty distribution.
func NewDistribution() *Distribution { return &Distribution{h: newHistogram()} }

// Record adds a sample; values outside 1 ns … 100 s are clamped.
func (d *Distribution) Record(v time.Duration) {
	_ = d.h.RecordValue(min(max(int64(v), lowestNS), highestNS))
}

// Stats summarises the samples recorded so far.
func (d *Distribution) Stats() Stats { return statsOf(d.h) }

// Percentiles reported everywhere, in order.
var Percentiles = []struct {
	Name string
	Q    float64
}{{"p50", 50}, {"p90", 90}, {"p99", 99}, {"p99.9", 99.9}, {"p99.99", 99.99}}

// Stats summarise a distribution of durations, in nanoseconds.
type Stats struct {
	Count  int64   `json:"count"`
	Min    int64   `json:"min_ns"`
	Mean   float64 `json:"mean_ns"`
	StdDev float64 `json:"stddev_ns"`
	P50    int64   `json:"p50_ns"`
	P90    int64   `json:"p90_ns"`
	P99    int64   `json:"p99_ns"`
	P999   int64   `json:"p99.9_ns"`
	P9999  int64   `json:"p99.99_ns"`
	Max    int64   `json:"max_ns"`
}

func statsOf(h *hdrhistogram.Histogram) Stats {
	if h.TotalCount() == 0 {
		return Stats{}
	}
	return Stats{Count: h.TotalCount(), Min: h.Min(), Mean: h.Mean(), StdDev: h.StdDev(),
		P50: h.ValueAtQuantile(50), P90: h.ValueAtQuantile(90), P99: h.ValueAtQuantile(99),
		P999: h.ValueAtQuantile(99.9), P9999: h.ValueAtQuantile(99.99), Max: h.Max()}
}

// Get returns a statistic by name: min, mean, p50, p90, p99, p99.9,
// p99.99, max.
func (s Stats) Get(name string) (int64, bool) {
	switch name {
	case "min":
		return s.Min, true
	case "mean":
		return int64(s.Mean), true
	case "p50":
		return s.P50, true
	case "p90":
		return s.P90, true
	case "p99":
		return s.P99, true
	case "p99.9":
		return s.P999, true
	case "p99.99":
		return s.P9999, true
	case "max":
		return s.Max, true
	}
	return 0, false
}

// Duration returns a statistic by name (see Get) as a duration, 0 for an
// unknown name.
func (s Stats) Duration(name string) time.Duration {
	v, _ := s.Get(name)
	return time.Duration(v)
}

// Bucket is one bar of a histogram: samples up to UpperNS (and above the
// previous bucket's bound).
type Bucket struct {
	UpperNS int64 `json:"upper_ns"`
	Count   int64 `json:"count"`
}

// logBuckets re-bins an HDR histogram into log-spaced buckets, ten a
// decade, for plots and the JSON report.
func logBuckets(h *hdrhistogram.Histogram) []Bucket {
	if h.TotalCount() == 0 {
		return nil
	}
	var out []Bucket
	bound := int64(1000) // 1 µs
	for bound < h.Min() {
		bound = nextBound(bound)
	}
	var cur int64
	for _, bar := range h.Distribution() {
		if bar.Count == 0 {
			continue
		}
		for bar.To > bound {
			out = append(out, Bucket{UpperNS: bound, Count: cur})
			cur = 0
			bound = nextBound(bound)
		}
		cur += bar.Count
	}
	out = append(out, Bucket{UpperNS: bound, Count: cur})
	// Drop leading empty buckets.
	for len(out) > 1 && out[0].Count == 0 {
		out = out[1:]
	}
	return out
}

func nextBound(b int64) int64 {
	// 1, 1.26, 1.58, 2, 2.5, 3.2, 4, 5, 6.3, 7.9, 10 …
	n := int64(float64(b) * 1.2589254117941673)
	if n <= b {
		n = b + 1
	}
	return n
}
