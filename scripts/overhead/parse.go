package main

import (
	"fmt"
	"strconv"
	"strings"
)

// figure is one measurement of one side of a measure.
type figure struct {
	value     float64 // ns/op for a benchmark, the line's value otherwise
	unit      string
	allocs    float64 // allocs/op, when hasAllocs
	hasAllocs bool
}

// samples are the figures by name ("BenchmarkIO/read/clx",
// "latency-median/bare"), in the order the runs printed them.
type samples map[string][]figure

// addBenchmark records a go test -bench result line:
//
//	BenchmarkEdgeDispatch/bare-2   13014636   87.05 ns/op   0 B/op   0 allocs/op
func (s samples) addBenchmark(line string) error {
	f := strings.Fields(line)
	if len(f) < 4 || f[3] != "ns/op" {
		return nil // a benchmark's name printed alone, or a failure line
	}
	name := f[0]
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			name = name[:i] // the GOMAXPROCS suffix
		}
	}
	ns, err := strconv.ParseFloat(f[2], 64)
	if err != nil {
		return fmt.Errorf("benchmark %s: ns/op %q is not a number", name, f[2])
	}
	fig := figure{value: ns, unit: "ns"}
	for i := 4; i+1 < len(f); i += 2 {
		if f[i+1] == "allocs/op" {
			if fig.allocs, err = strconv.ParseFloat(f[i], 64); err != nil {
				return fmt.Errorf("benchmark %s: allocs/op %q is not a number", name, f[i])
			}
			fig.hasAllocs = true
		}
	}
	s[name] = append(s[name], fig)
	return nil
}

// addOverhead records a measurement line of the QEMU guest:
//
//	OVERHEAD latency-median bare=18.1 clx=22.6 unit=µs
func (s samples) addOverhead(line string) error {
	f := strings.Fields(line)
	if len(f) < 4 {
		return fmt.Errorf("%q: want OVERHEAD MEASURE bare=V clx=V [unit=U]", line)
	}
	measure := f[1]
	vals := map[string]string{}
	for _, kv := range f[2:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("%q: %q is not KEY=VALUE", line, kv)
		}
		vals[k] = v
	}
	for _, side := range []string{"bare", "clx"} {
		v, err := strconv.ParseFloat(vals[side], 64)
		if err != nil {
			return fmt.Errorf("%q: %s=%q is not a number", line, side, vals[side])
		}
		s[measure+"/"+side] = append(s[measure+"/"+side], figure{value: v, unit: vals["unit"]})
	}
	return nil
}
