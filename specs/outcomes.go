package specs

import (
	"fmt"
	"hash/fnv"
	"io"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

// Spec results as a lab engine records them.
const (
	ResultPass = "pass"
	ResultFail = "fail"
	ResultSkip = "skip"
)

// SpecOutcome is one spec's result, named so that an engine (LAVA,
// labgrid, a CI's JUnit view) can keep it as a test case of its own.
type SpecOutcome struct {
	// ID is the spec's full text as a slug: lower case, [a-z0-9-], at most
	// 100 characters, unique within the run (a repeat gets -2, -3, …).
	ID string
	// Name is how Ginkgo's JUnit report names the spec's test case, up to
	// its labels: "[It] " and the full text.
	Name     string
	Result   string // ResultPass, ResultFail or ResultSkip
	Duration time.Duration
	// Reason is why a spec failed or was skipped (the first line).
	Reason string
}

// Measurement is one number a run measured, for an engine's records.
type Measurement struct {
	Name  string // a slug, like a SpecOutcome's ID
	Value float64
	Unit  string // "us", "edges" or "probes"
}

// maxIDLen is LAVA's limit on a test case's name.
const maxIDLen = 100

// Slug makes s an identifier an engine accepts as a test case name:
// lower case, each run of other characters one '-', at most 100
// characters: a longer one keeps its first 91 and ends in 8 hex digits
// of a hash of the whole, so two long names that differ only at the end
// stay apart.
func Slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	id := b.String()
	if len(id) > maxIDLen {
		h := fnv.New32a()
		h.Write([]byte(id))
		id = fmt.Sprintf("%s-%08x", strings.TrimRight(id[:maxIDLen-9], "-"), h.Sum32())
	}
	return id
}

// durationSlug names a duration in a slug: "500us", "1-5ms".
func durationSlug(d time.Duration) string {
	return Slug(strings.ReplaceAll(d.String(), "µ", "u"))
}

// outcomes lists the specs of a report that ran or were skipped on
// purpose, and the suite set-up nodes that failed. Specs a label filter
// left out are not listed: the run did not consider them.
func outcomes(r types.Report) []SpecOutcome {
	var out []SpecOutcome
	seen := map[string]int{}
	for _, sr := range r.SpecReports {
		res := ResultFail
		switch {
		case sr.State == types.SpecStatePassed:
			res = ResultPass
		case sr.State.Is(types.SpecStateSkipped | types.SpecStatePending):
			res = ResultSkip
		}
		if sr.LeafNodeType != types.NodeTypeIt && res != ResultFail {
			continue // suite set-up that worked is no test case
		}
		if sr.State == types.SpecStateSkipped && sr.Failure.Message == "" {
			continue // filtered out
		}
		text := sr.FullText()
		if text == "" {
			text = sr.LeafNodeType.String()
		}
		base := Slug(text)
		id := base
		if n := seen[base]; n > 0 {
			suffix := fmt.Sprintf("-%d", n+1)
			id = strings.TrimRight(base[:min(len(base), maxIDLen-len(suffix))], "-") + suffix
		}
		seen[base]++
		reason, _, _ := strings.Cut(sr.Failure.Message, "\n")
		out = append(out, SpecOutcome{ID: id, Name: strings.TrimSpace(fmt.Sprintf("[%s] %s", sr.LeafNodeType, sr.FullText())),
			Result: res, Duration: sr.RunTime, Reason: reason})
	}
	return out
}

// Measurements lists the numbers the run measured: each pair's latency
// percentiles, the narrowest pulses answered, how the controller's
// timestamps agreed with the MCU's, and where the edges of each train
// went.
func (res Results) Measurements() []Measurement {
	var ms []Measurement
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	for _, l := range res.Latency {
		p := "latency-" + Slug(l.Pair)
		ms = append(ms,
			Measurement{p + "-min", us(l.Min), "us"},
			Measurement{p + "-p50", us(l.P50), "us"},
			Measurement{p + "-p90", us(l.P90), "us"},
			Measurement{p + "-p99", us(l.P99), "us"},
			Measurement{p + "-max", us(l.Max), "us"},
			Measurement{p + "-timeouts", float64(l.Timeouts), "probes"})
	}
	for _, f := range res.PulseFloors {
		ms = append(ms, Measurement{"narrowest-pulse-" + Slug(f.What), us(f.Asked), "us"})
	}
	if t := res.Timestamps; t != nil {
		ms = append(ms,
			Measurement{"timestamps-stamp-after-drive-first", us(t.FirstAfterDrive), "us"},
			Measurement{"timestamps-stamp-after-drive-last", us(t.LastAfterDrive), "us"},
			Measurement{"timestamps-uncertainty", us(t.Uncertainty), "us"})
	}
	for _, a := range res.EdgeAccounts {
		p := "edges-" + durationSlug(a.Spacing)
		ms = append(ms,
			Measurement{p + "-sent", float64(a.Sent), "edges"},
			Measurement{p + "-delivered", float64(a.Delivered), "edges"},
			Measurement{p + "-merged", float64(a.Merged), "edges"},
			Measurement{p + "-lost", float64(a.Lost), "edges"})
	}
	return ms
}

// Marker lines: plain text, one record a line, that a lab engine matches
// on a console (see WriteMarkers).
const (
	MarkerSpec        = "GPIOHIL-SPEC"
	MarkerMeasurement = "GPIOHIL-MEASUREMENT"
	MarkerResult      = "GPIOHIL-RESULT"
)

// WriteMarkers prints the run as plain lines an engine can match, each
// field separated by one space and none containing one:
//
//	GPIOHIL-SPEC <id> <pass|fail|skip> <seconds>
//	GPIOHIL-MEASUREMENT <name> <value> <unit>
//	GPIOHIL-RESULT <pass|fail> passed=<n> failed=<n> skipped=<n>
//
// one SPEC line per spec that ran or was skipped on purpose, one
// MEASUREMENT line per number measured, and the RESULT line last.
func (res Results) WriteMarkers(w io.Writer) {
	var passed, failed, skipped int
	for _, o := range res.Specs {
		fmt.Fprintf(w, "%s %s %s %.3f\n", MarkerSpec, o.ID, o.Result, o.Duration.Seconds())
		switch o.Result {
		case ResultPass:
			passed++
		case ResultFail:
			failed++
		default:
			skipped++
		}
	}
	for _, m := range res.Measurements() {
		fmt.Fprintf(w, "%s %s %s %s\n", MarkerMeasurement, m.Name, formatValue(m.Value), m.Unit)
	}
	verdict := ResultPass
	if res.Failed || failed > 0 {
		verdict = ResultFail
	}
	fmt.Fprintf(w, "%s %s passed=%d failed=%d skipped=%d\n", MarkerResult, verdict, passed, failed, skipped)
}

// formatValue prints a measurement without exponent, to the nanosecond
// for microseconds.
func formatValue(v float64) string {
	s := fmt.Sprintf("%.3f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}
