package bench_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/gpiohil/gpiohil/bench"
	"github.com/gpiohil/gpiohil/fixtures"
	"github.com/gpiohil/gpiohil/rig"
)

func openSim(t testing.TB, delay time.Duration) *rig.Rig { return openFixture(t, "sim", delay) }

// openFixture opens an embedded fixture with delay on every wire.
func openFixture(t testing.TB, name string, delay time.Duration) *rig.Rig {
	t.Helper()
	src, err := fixtures.Source(name)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(src), "  delay: 0s\n", "  delay: "+delay.String()+"\n", 1)
	fx, err := fixtures.Parse("test.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := rig.Open(ctx, fx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestLatencyRunWritesEveryOutput(t *testing.T) {
	r := openSim(t, 0)
	out := t.TempDir()
	res, err := bench.Latency(context.Background(), r, bench.Options{N: 300, Warmup: 10, Out: out, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Pairs) != 2 {
		t.Fatalf("%d pairs", len(res.Pairs))
	}
	for _, p := range res.Pairs {
		l := p.Latency
		if p.Samples != 300 || l.Count != 300 || !(l.Min <= l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.P999 && l.P999 <= l.P9999 && l.P9999 <= l.Max) {
			t.Fatalf("pair %s stats %+v", p.Name, l)
		}
		if len(p.Components) != 4 || p.Components[bench.ControllerToISR].Count == 0 || p.Components[bench.AckWire].Count == 0 {
			t.Fatalf("pair %s: no split %+v", p.Name, p.Components)
		}
		// The parts add up to the whole (to the histogram's precision).
		sum := p.Components[bench.WireToController].P50 + p.Components[bench.ControllerToISR].P50 + p.Components[bench.ISRToAck].P50
		if sum > 3*l.P50+10000 {
			t.Fatalf("pair %s: parts' medians sum to %v, the whole's median is %v", p.Name, time.Duration(sum), time.Duration(l.P50))
		}
	}
	m := res.Metadata
	if m.Kernel == "" || m.Governor == "" || m.MCU.Board != "virtual" || m.Version != "test" || m.Clock.MCUAlignment == "" {
		t.Fatalf("metadata %+v", m)
	}
	// The sim tier measures to the nanosecond on one clock.
	if c := m.Clock; c.MCUTickNS != 1 || c.ResolutionNS != 1 || c.SplitUncertaintyNS != 1 || c.NegativeComponents != 0 {
		t.Fatalf("clock metadata %+v", c)
	}
	// Every output is there and reads back.
	for _, f := range []string{"latency.json", "samples.csv", "histogram.txt", "report.html", "bench.txt"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Fatalf("%s: %v", f, err)
		}
	}
	back, err := bench.Load(filepath.Join(out, "latency.json"))
	if err != nil || back.Pairs[0].Latency != res.Pairs[0].Latency || len(back.Pairs[0].Curve) == 0 {
		t.Fatalf("latency.json round trip: %v", err)
	}
	f, _ := os.Open(filepath.Join(out, "samples.csv"))
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) != 1+600 || rows[0][4] != "latency_ns" || rows[0][9] != "ack_wire_ns" {
		t.Fatalf("samples.csv: %d rows, %v", len(rows), err)
	}
	html, _ := os.ReadFile(filepath.Join(out, "report.html"))
	for _, want := range []string{"<svg", `class="bars"`, `class="cdf"`, "pair0", "pair1", "PREEMPT_RT", "wire to controller", "ack wire", "Resolution: 1ns"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Fatalf("report.html lacks %q", want)
		}
	}
	benchTxt, _ := os.ReadFile(filepath.Join(out, "bench.txt"))
	if !bytes.Contains(benchTxt, []byte("BenchmarkLatency/fixture=sim/pair=pair0 \t300\t")) {
		t.Fatalf("bench.txt:\n%s", benchTxt)
	}
}

// The known answer: a propagation delay D injected on every wire of the
// in-process harness is recovered by the measurement chain — the MCU's
// tick timestamps, the controller's event and output timestamps, the
// clocks' mapping to host time and the histograms — as each wire's own
// part of the latency: wire→controller on the stimulus wire, the ack
// wire on the way back, each D within ±(2 % + 1 µs) at the median.
// The harness stamps every change with the time it happened and delivers
// it stamped with that time plus D, so no part of this depends on when a
// goroutine ran: p99 is held to the same bound, on a loaded machine too.
func TestKnownAnswerDelays(t *testing.T) {
	delays := []time.Duration{0, time.Microsecond, 10 * time.Microsecond, 100 * time.Microsecond, time.Millisecond, 10 * time.Millisecond}
	for _, fx := range []string{"sim", "sim-emulated", "sim-bus"} {
		for _, d := range delays {
			t.Run(fmt.Sprintf("%s/delay=%v", fx, d), func(t *testing.T) {
				t.Parallel()
				n := 200
				if d >= 10*time.Millisecond {
					n = 40
				}
				r := openFixture(t, fx, d)
				res, err := bench.Latency(context.Background(), r, bench.Options{N: n, Warmup: 5, Out: t.TempDir(), Pairs: []string{"pair0"}})
				if err != nil {
					t.Fatal(err)
				}
				p := res.Pairs[0]
				tol := d/50 + time.Microsecond
				for _, c := range []string{bench.WireToController, bench.AckWire} {
					s, ok := p.Components[c]
					if !ok || s.Count != int64(n) {
						t.Fatalf("%s: %d of %d probes measured (%v)", c, s.Count, n, ok)
					}
					p50, p99 := time.Duration(s.P50), time.Duration(s.P99)
					t.Logf("%s: p50 %v (%+v), p99 %v (%+v) for %v injected", c, p50, p50-d, p99, p99-d, d)
					if (p50-d).Abs() > tol || (p99-d).Abs() > tol {
						t.Errorf("%s: p50 %v, p99 %v; want %v ± %v", c, p50, p99, d, tol)
					}
				}
				if lat := time.Duration(p.Latency.P50); lat < 2*d {
					t.Errorf("median latency %v is less than the two wires' %v", lat, 2*d)
				}
				if neg := res.Metadata.Clock.NegativeComponents; neg != 0 {
					t.Errorf("%d negative components on exact clocks", neg)
				}
			})
		}
	}
}

// Ctrl-C: the run stops, and what was measured is written out.
func TestInterruptKeepsResults(t *testing.T) {
	r := openSim(t, 0)
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	res, err := bench.Latency(ctx, r, bench.Options{N: 10000000, Out: out})
	if !errors.Is(err, bench.ErrInterrupted) || res == nil || !res.Metadata.Interrupted || res.Pairs[0].Samples == 0 {
		t.Fatalf("interrupted run: %v, %+v", err, res)
	}
	var back bench.Result
	data, _ := os.ReadFile(filepath.Join(out, "latency.json"))
	if json.Unmarshal(data, &back) != nil || back.Pairs[0].Samples != res.Pairs[0].Samples {
		t.Fatal("interrupted run's latency.json does not hold its samples")
	}
	rows := bytes.Count(mustRead(t, filepath.Join(out, "samples.csv")), []byte("\n")) - 1
	if int64(rows) != res.Pairs[0].Samples {
		t.Fatalf("samples.csv has %d rows for %d samples", rows, res.Pairs[0].Samples)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCompare(t *testing.T) {
	mk := func(p99 int64) *bench.Result {
		return &bench.Result{Schema: bench.Schema, Pairs: []bench.PairResult{{Name: "pair0", Samples: 10,
			Latency: bench.Stats{Min: 1000, Mean: 2000, P50: 2000, P90: 3000, P99: p99, P999: 5000, P9999: 5000, Max: 5000}}}}
	}
	th, err := bench.ParseThresholds("p99=10%,p99.9=20")
	if err != nil || th["p99"] != 0.10 || th["p99.9"] != 0.20 {
		t.Fatalf("thresholds %v %v", th, err)
	}
	var out bytes.Buffer
	if regs := bench.Compare(&out, mk(4000), mk(4300), th); len(regs) != 0 {
		t.Fatalf("7.5%% growth flagged: %+v\n%s", regs, out.String())
	}
	out.Reset()
	regs := bench.Compare(&out, mk(4000), mk(4500), th)
	if len(regs) != 1 || regs[0].Stat != "p99" || !strings.Contains(out.String(), "REGRESSION") || !strings.Contains(out.String(), "+12.5%") {
		t.Fatalf("12.5%% growth: %+v\n%s", regs, out.String())
	}
	for _, bad := range []string{"p42=10%", "p99", "p99=ten"} {
		if _, err := bench.ParseThresholds(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// BenchmarkRecord is the cost of recording one sample: the histogram of
// the whole and of the three parts.
func BenchmarkRecord(b *testing.B) {
	hs := []*hdrhistogram.Histogram{hdrhistogram.New(1, int64(100*time.Second), 3), hdrhistogram.New(1, int64(100*time.Second), 3),
		hdrhistogram.New(1, int64(100*time.Second), 3), hdrhistogram.New(1, int64(100*time.Second), 3)}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		v := int64(5000 + i%100000)
		for _, h := range hs {
			_ = h.RecordValue(v)
		}
	}
}

// BenchmarkProbeLoop is the throughput of the probe loop on the sim rig:
// one op is one probe — a probe train's step on the MCU, through the
// harness, clx and the responder, its result streamed back over the pty
// and recorded. allocs/op counts every goroutine of the process (MCU,
// target and host alike); it is 0 when nothing allocates per probe.
func BenchmarkProbeLoop(b *testing.B) {
	for _, fx := range []string{"sim", "sim-emulated", "sim-bus", "sim-mcp23017"} {
		b.Run("fixture="+fx, func(b *testing.B) {
			r := openFixture(b, fx, 0)
			out := b.TempDir()
			// Warm up: the first train sizes every buffer and histogram.
			if _, err := bench.Latency(context.Background(), r, bench.Options{N: 1000, Out: out, Pairs: []string{"pair0"}}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			res, err := bench.Latency(context.Background(), r, bench.Options{N: max(b.N, 1), Out: out, Pairs: []string{"pair0"}})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(max(b.N, 1))/time.Since(start).Seconds(), "probes/s")
			b.ReportMetric(float64(res.Pairs[0].Latency.P50), "p50-ns")
		})
	}
}

// BenchmarkProbeCommand is the probe loop's baseline: one Probe command
// and its result report per probe, over the same rig, as the host had to
// before probe trains. BenchmarkProbeLoop's probes/s over this one's is
// what the trains gain.
func BenchmarkProbeCommand(b *testing.B) {
	r := openSim(b, 0)
	ctx := context.Background()
	rs, err := r.RespondMirror(ctx, "pair0")
	if err != nil {
		b.Fatal(err)
	}
	defer rs.Close()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		res, err := r.Probe(ctx, "pair0", i%2 == 1, time.Second)
		if err != nil || res.TimedOut {
			b.Fatalf("probe %d: %+v, %v", i, res, err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "probes/s")
}

// Allocations are constant in the number of probes: between the 1000th
// and the 21000th probe of a train, the whole process — MCU, harness,
// target, responder, link and loop — allocates nothing (to 1 in 100
// probes), which lets `bench latency -n 1000000` run in constant memory.
// (BenchmarkProbeLoop's allocs/op covers the recording too.)
func TestProbeLoopAllocatesNothingPerProbe(t *testing.T) {
	r := openSim(t, 0)
	mclock, _, err := r.MCUClock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	const from, to = 1000, 21000
	var probes int
	var at [2]runtime.MemStats
	hist := hdrhistogram.New(1, int64(time.Second), 3)
	loop := bench.Loop{Pair: "pair0", N: to + 100, Timeout: time.Second, Clocks: bench.Clocks{MCU: mclock},
		Probed: func() {
			switch probes++; probes {
			case from:
				runtime.ReadMemStats(&at[0])
			case to:
				runtime.ReadMemStats(&at[1])
			}
		}}
	if _, err := loop.Run(context.Background(), r, func(s bench.Sample) { _ = hist.RecordValue(int64(s.Latency)) }); err != nil {
		t.Fatal(err)
	}
	perProbe := float64(at[1].Mallocs-at[0].Mallocs) / (to - from)
	t.Logf("%d allocations over %d probes: %.4f per probe", at[1].Mallocs-at[0].Mallocs, to-from, perProbe)
	if perProbe > 0.01 {
		t.Fatalf("%.3f allocations per probe, want none", perProbe)
	}
}

// On the MCP23017 target the bus carries, per probe, exactly what the
// driver needs: one status read (register address 0x0E, then INTFA,
// INTFB, INTCAPA, INTCAPB, GPIOA, GPIOB) and one write of the ack's
// output latch. Their bus time is known from the I2C framing alone
// (start, 9 clocks per byte with the acknowledge, repeated start, stop):
// the read is 1+9+9 +1+9+6*9 +1 = 84 clocks, the write 1+9+9+9+1 = 29,
// so 113 clocks a probe — 1130 µs at 100 kHz, 282.5 µs at 400 kHz — and
// the median latency cannot be shorter. The responder's connect and
// close are not the train's and are left out.
func TestMCP23017BusShare(t *testing.T) {
	for _, hz := range []int{100_000, 400_000} {
		t.Run(fmt.Sprint(hz), func(t *testing.T) {
			src, err := fixtures.Source("sim-mcp23017")
			if err != nil {
				t.Fatal(err)
			}
			fx, err := fixtures.Parse("test.yaml", []byte(strings.Replace(string(src), "bus_hz: 400000", fmt.Sprintf("bus_hz: %d", hz), 1)))
			if err != nil {
				t.Fatal(err)
			}
			r, err := rig.Open(context.Background(), fx)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			perProbe := time.Duration(113) * time.Second / time.Duration(hz)
			res, err := bench.Latency(context.Background(), r, bench.Options{N: 40, Warmup: 5, Out: t.TempDir(), Pairs: []string{"pair0"}})
			if err != nil {
				t.Fatal(err)
			}
			p := res.Pairs[0]
			if p.Bus == nil {
				t.Fatal("no bus share recorded")
			}
			if p.Bus.Probes != 45 || p.Bus.Transactions != 2*45 || time.Duration(p.Bus.BusyNS) != 45*perProbe ||
				time.Duration(p.Bus.BusyPerProbeNS) != perProbe {
				t.Errorf("bus share %+v; want 45 probes, 90 transactions, %v a probe", *p.Bus, perProbe)
			}
			if p50 := time.Duration(p.Latency.P50); p50 < perProbe {
				t.Errorf("median latency %v is shorter than the bus time %v", p50, perProbe)
			}
		})
	}
}
