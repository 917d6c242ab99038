package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/gpiohil/gpiohil/rig"
	"github.com/gpiohil/gpiohil/rig/mcu"
)

// Options configure a latency run.
type Options struct {
	Pairs   []string      // probe pairs by name; empty means every pair
	N       int           // recorded probes per pair
	Warmup  int           // probes per pair before recording
	Rate    float64       // probes per second per pair; 0: one after another
	Timeout time.Duration // per probe; 0: the fixture's probe timeout
	Out     string        // directory for the outputs (created)
	// Progress receives progress; Terminal draws a bar on it instead of
	// periodic lines.
	Progress io.Writer
	Terminal bool
	Version  string
	Commit   string
}

// PairResult is what one pair measured.
type PairResult struct {
	Name       string           `json:"name"`
	Samples    int64            `json:"samples"`
	Timeouts   int64            `json:"timeouts"`    // no ack, and the ISR did not run
	MissedAcks int64            `json:"missed_acks"` // the ISR ran, the MCU saw no ack edge
	Lost       int64            `json:"lost"`        // probes run whose results never reached the host
	Unmatched  int64            `json:"unmatched"`   // deliveries of the responder that answered no probe
	Latency    Stats            `json:"latency"`
	Components map[string]Stats `json:"components,omitempty"`
	Histogram  []Bucket         `json:"histogram"`
	Curve      []CurvePoint     `json:"percentile_curve"`
	// Bus is the share of a bus-attached target's I2C bus in the pair's
	// probes; absent for other targets.
	Bus *BusShare `json:"bus,omitempty"`

	hist  *hdrhistogram.Histogram
	parts map[string]*hdrhistogram.Histogram
}

// BusShare is what the bus-attached target's bus carried during a pair's
// train of probes (warm-up included, the responder's connect and close
// not): transactions and the time they held the bus in all, and per probe.
type BusShare struct {
	Probes               int64   `json:"probes"`
	Transactions         uint64  `json:"transactions"`
	BusyNS               int64   `json:"busy_ns"`
	TransactionsPerProbe float64 `json:"transactions_per_probe"`
	BusyPerProbeNS       int64   `json:"busy_per_probe_ns"`
}

// Component names of the split latency. AckWire is a part of ISRToAck:
// the ack line's own delay, where the controller timestamps its outputs.
const (
	WireToController = "wire_to_controller"
	ControllerToISR  = "controller_to_isr"
	ISRToAck         = "isr_to_ack"
	AckWire          = "ack_wire"
)

// Result is a whole run.
type Result struct {
	Schema   string       `json:"schema"`
	Metadata Metadata     `json:"metadata"`
	Settings Settings     `json:"settings"`
	Pairs    []PairResult `json:"pairs"`
}

// Settings record how the run was asked for.
type Settings struct {
	N         int     `json:"n"`
	Warmup    int     `json:"warmup"`
	Rate      float64 `json:"rate_per_s"`
	TimeoutNS int64   `json:"probe_timeout_ns"`
}

// Schema identifies latency.json's format.
const Schema = "gpiohil.bench.latency/v1"

// ErrInterrupted is returned (with the partial result, written out) when
// the run's context ends before every probe ran.
var ErrInterrupted = errors.New("bench: interrupted; results so far were kept")

// Latency runs the probes on r and writes every output into opts.Out. On
// interruption (ctx done) it stops, writes what it measured, and returns
// that result with ErrInterrupted.
func Latency(ctx context.Context, r *rig.Rig, opts Options) (*Result, error) {
	if opts.N < 1 {
		return nil, fmt.Errorf("bench: %d probes per pair, want at least 1", opts.N)
	}
	if opts.Timeout == 0 {
		opts.Timeout = r.Fixture.Timing.ProbeTimeout
	}
	var pairs []rig.Pair
	if len(opts.Pairs) == 0 {
		pairs = r.Pairs
	}
	for _, name := range opts.Pairs {
		p, ok := r.Pair(name)
		if !ok {
			return nil, fmt.Errorf("bench: fixture %s has no probe pair %q", r.Fixture.Name, name)
		}
		pairs = append(pairs, p)
	}
	if len(pairs) == 0 {
		return nil, fmt.Errorf("bench: fixture %s has no probe pairs", r.Fixture.Name)
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return nil, fmt.Errorf("bench: output directory: %w", err)
	}
	id := r.MCU.Identify()
	res := &Result{Schema: Schema, Settings: Settings{N: opts.N, Warmup: opts.Warmup, Rate: opts.Rate, TimeoutNS: int64(opts.Timeout)},
		Metadata: Metadata{Fixture: r.Fixture.Name, FixtureFile: r.Fixture.Source, Tier: r.Fixture.Tier, Version: opts.Version,
			Commit: opts.Commit, MCU: mcuInfo(id, r.MCU.Path()), Started: time.Now()}}
	hostMetadata(&res.Metadata)

	mclock, method, err := r.MCUClock(ctx)
	if err != nil {
		return nil, fmt.Errorf("bench: align the MCU clock: %w", err)
	}
	cclock, split := r.ControllerClock()
	res.Metadata.Clock = clockInfo(mclock, method, cclock, split, r.WireResolution())

	csvFile, err := os.Create(filepath.Join(opts.Out, "samples.csv"))
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer csvFile.Close()
	csv := bufio.NewWriter(csvFile)
	fmt.Fprintln(csv, "pair,seq,t0_tick,t1_tick,latency_ns,outcome,"+WireToController+"_ns,"+ControllerToISR+"_ns,"+ISRToAck+"_ns,"+AckWire+"_ns")

	negatives := newHistogram() // magnitudes of negative components
	prog := newProgress(opts.Progress, opts.Terminal, len(pairs)*(opts.N+opts.Warmup))
	clocks := Clocks{MCU: mclock, Controller: cclock, Split: split}
	interrupted := false
	for _, p := range pairs {
		pr := PairResult{Name: p.Name, hist: newHistogram(), parts: map[string]*hdrhistogram.Histogram{}}
		if split {
			for _, c := range componentNames {
				pr.parts[c] = newHistogram()
			}
			pr.parts[AckWire] = newHistogram()
		}
		loop := Loop{Pair: p.Name, N: opts.N, Warmup: opts.Warmup, Rate: opts.Rate, Timeout: opts.Timeout, Clocks: clocks,
			Probed: func() { prog.step(p.Name, &pr) }}
		rec := &recorder{pr: &pr, csv: csv, clk: &res.Metadata.Clock, negatives: negatives}
		st, err := loop.Run(ctx, r, rec.record)
		pr.Lost, pr.Unmatched = int64(st.Lost), int64(st.Unmatched)
		if st.HasBus {
			pr.Bus = busShare(int64(opts.N+opts.Warmup), st.BusTransactions, st.BusBusy)
		}
		if err != nil {
			if !errors.Is(err, errStopped) {
				csv.Flush()
				return nil, err
			}
			interrupted = true
		}
		pr.Latency = statsOf(pr.hist)
		pr.Histogram = logBuckets(pr.hist)
		if split {
			pr.Components = map[string]Stats{}
			for c, h := range pr.parts {
				if h.TotalCount() > 0 || c != AckWire {
					pr.Components[c] = statsOf(h)
				}
			}
		}
		res.Pairs = append(res.Pairs, pr)
		if interrupted {
			break
		}
	}
	prog.done()
	// A polling harness's period is known best after the probes ran.
	res.Metadata.Clock.setWireResolution(r.WireResolution(), negatives)
	if err := csv.Flush(); err != nil {
		return nil, fmt.Errorf("bench: samples.csv: %w", err)
	}
	res.Metadata.Finished = time.Now()
	res.Metadata.Interrupted = interrupted
	if err := WriteAll(opts.Out, res); err != nil {
		return nil, err
	}
	if interrupted {
		return res, ErrInterrupted
	}
	return res, nil
}

// busShare is the bus's part in n probes.
func busShare(n int64, tx uint64, busy time.Duration) *BusShare {
	b := &BusShare{Probes: n, Transactions: tx, BusyNS: int64(busy)}
	if n > 0 {
		b.TransactionsPerProbe = float64(tx) / float64(n)
		b.BusyPerProbeNS = int64(busy) / n
	}
	return b
}

// clockInfo describes the tier's resolution and its clocks' alignment.
func clockInfo(m mcu.ClockModel, method string, c rig.ControllerClock, split bool, wire time.Duration) ClockInfo {
	tick := int64(0)
	if m.TickHz > 0 {
		tick = (int64(time.Second) + int64(m.TickHz) - 1) / int64(m.TickHz)
	}
	ci := ClockInfo{MCUAlignment: method, MCUUncertaintyNS: int64(m.Uncertainty), MCUDriftPPM: m.DriftPPM, MCUTickNS: tick, Split: split}
	if split {
		ci.ControllerClock = c.Name
		ci.ControllerUncertaintyNS = int64(c.Uncertainty)
	}
	ci.setWireResolution(wire, nil)
	return ci
}

// setWireResolution states the wires' resolution and, from it, the
// resolution and the split's uncertainty, and counts the negative
// components (their magnitudes in negatives, if any yet) beyond that
// uncertainty.
func (ci *ClockInfo) setWireResolution(wire time.Duration, negatives *hdrhistogram.Histogram) {
	ci.WireResolutionNS = int64(wire)
	ci.ResolutionNS = ci.MCUTickNS + ci.WireResolutionNS
	if ci.Split {
		ci.SplitUncertaintyNS = ci.MCUUncertaintyNS + ci.ControllerUncertaintyNS + ci.ResolutionNS
	}
	ci.NegativeBeyondUncertainty = 0
	if negatives == nil {
		return
	}
	for _, b := range negatives.Distribution() {
		if b.From > ci.SplitUncertaintyNS {
			ci.NegativeBeyondUncertainty += b.Count
		}
	}
}

// componentNames are the split latency's parts, in Sample.Split's order.
var componentNames = [3]string{WireToController, ControllerToISR, ISRToAck}

// recorder files one pair's samples into its histograms and samples.csv,
// allocating nothing per sample.
type recorder struct {
	pr        *PairResult
	csv       *bufio.Writer
	clk       *ClockInfo
	negatives *hdrhistogram.Histogram
	line      []byte
}

func (rc *recorder) record(s Sample) {
	pr := rc.pr
	b := append(rc.line[:0], pr.Name...)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(s.Seq), 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, s.T0, 10)
	b = append(b, ',')
	if s.Outcome != OK {
		if s.Outcome == MissedAck {
			pr.MissedAcks++
		} else {
			pr.Timeouts++
		}
		b = append(b, ",,"...)
		b = append(b, s.Outcome.String()...)
		rc.write(append(b, ",,,,\n"...), s.Seq)
		return
	}
	_ = pr.hist.RecordValue(max(int64(s.Latency), lowestNS))
	pr.Samples++
	b = strconv.AppendUint(b, s.T1, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(s.Latency), 10)
	b = append(b, ",ok"...)
	for k := range 4 {
		b = append(b, ',')
		switch {
		case s.HasSplit && k < 3:
			b = rc.component(b, componentNames[k], s.Split[k])
		case s.HasSplit && k == 3 && s.HasAckWire:
			b = rc.component(b, AckWire, s.AckWire)
		}
	}
	rc.write(append(b, '\n'), s.Seq)
}

// write writes a samples.csv line; every 256 samples the lines reach the
// disk, so the raw samples survive whatever ends the run.
func (rc *recorder) write(line []byte, seq int) {
	rc.line = line
	_, _ = rc.csv.Write(line)
	if seq%256 == 255 {
		rc.csv.Flush()
	}
}

// component records one component value and appends it to b as
// samples.csv writes it. A negative value (alignment error) is counted,
// not recorded.
func (rc *recorder) component(b []byte, name string, d time.Duration) []byte {
	if d < 0 {
		rc.clk.NegativeComponents++
		_ = rc.negatives.RecordValue(max(int64(-d), lowestNS))
	} else {
		_ = rc.pr.parts[name].RecordValue(max(int64(d), lowestNS))
	}
	return strconv.AppendInt(b, int64(d), 10)
}
