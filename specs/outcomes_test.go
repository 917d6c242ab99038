package specs

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/gpiohil/gpiohil/fixtures"
)

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Bring-up wire ack1 (MCU pin 3, target line 3) carries levels both ways": "bring-up-wire-ack1-mcu-pin-3-target-line-3-carries-levels-both-ways",
		"  I/O: reads the MCU's levels — every wire  ":                           "i-o-reads-the-mcu-s-levels-every-wire",
		"µ": "",
	} {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
	long := strings.Repeat("a very long spec name ", 10)
	a, b := Slug(long+"high"), Slug(long+"low")
	if len(a) != maxIDLen || len(b) != maxIDLen || a == b || a[:90] != b[:90] {
		t.Errorf("long names: %q and %q", a, b)
	}
	if ok := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`).MatchString(a); !ok {
		t.Errorf("long slug %q has characters an engine refuses", a)
	}
	if got := durationSlug(500 * time.Microsecond); got != "500us" {
		t.Errorf("durationSlug(500µs) = %q", got)
	}
}

// specReport is a spec as Ginkgo reports it.
func specReport(leaf types.NodeType, text string, state types.SpecState, msg string, d time.Duration) types.SpecReport {
	return types.SpecReport{LeafNodeType: leaf, LeafNodeText: text, State: state, RunTime: d,
		Failure: types.Failure{Message: msg}}
}

// aReport is a run with every kind of outcome: set-up that worked and
// failed, a pass, a failure, a skip on purpose, a spec the label filter
// left out, and two specs of one name.
func aReport() types.Report {
	return types.Report{SuiteDescription: "gpiohil check: sim", SuiteSucceeded: false, SpecReports: []types.SpecReport{
		specReport(types.NodeTypeBeforeSuite, "", types.SpecStatePassed, "", time.Second),
		specReport(types.NodeTypeIt, "wire ack1 carries levels both ways", types.SpecStateFailed, "wire ack1: open\nmore", 2*time.Millisecond),
		specReport(types.NodeTypeIt, "reads every wire", types.SpecStatePassed, "", 1500*time.Millisecond),
		specReport(types.NodeTypeIt, "senses pulls", types.SpecStateSkipped, "the rig has no pulls", 0),
		specReport(types.NodeTypeIt, "left out by the filter", types.SpecStateSkipped, "", 0),
		specReport(types.NodeTypeIt, "reads every wire", types.SpecStatePassed, "", time.Millisecond),
		specReport(types.NodeTypeAfterSuite, "", types.SpecStatePanicked, "closing panicked", 0),
	}}
}

func TestOutcomes(t *testing.T) {
	got := outcomes(aReport())
	want := []SpecOutcome{
		{ID: "wire-ack1-carries-levels-both-ways", Name: "[It] wire ack1 carries levels both ways", Result: ResultFail, Duration: 2 * time.Millisecond, Reason: "wire ack1: open"},
		{ID: "reads-every-wire", Name: "[It] reads every wire", Result: ResultPass, Duration: 1500 * time.Millisecond},
		{ID: "senses-pulls", Name: "[It] senses pulls", Result: ResultSkip, Reason: "the rig has no pulls"},
		{ID: "reads-every-wire-2", Name: "[It] reads every wire", Result: ResultPass, Duration: time.Millisecond},
		{ID: "aftersuite", Name: "[AfterSuite]", Result: ResultFail, Reason: "closing panicked"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d outcomes, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("outcome %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestWriteMarkers(t *testing.T) {
	res := Results{Specs: outcomes(aReport()),
		Latency: []LatencyResult{{Pair: "pair0", N: 10, Timeouts: 1, Min: 1500 * time.Nanosecond, P50: 20 * time.Microsecond,
			P90: 30 * time.Microsecond, P99: 40 * time.Microsecond, Max: time.Millisecond}},
		EdgeAccounts: []EdgeAccount{{Spacing: 5 * time.Microsecond, Sent: 200, Delivered: 150, Merged: 40, Lost: 10}}}
	var b bytes.Buffer
	res.WriteMarkers(&b)
	want := `GPIOHIL-SPEC wire-ack1-carries-levels-both-ways fail 0.002
GPIOHIL-SPEC reads-every-wire pass 1.500
GPIOHIL-SPEC senses-pulls skip 0.000
GPIOHIL-SPEC reads-every-wire-2 pass 0.001
GPIOHIL-SPEC aftersuite fail 0.000
GPIOHIL-MEASUREMENT latency-pair0-min 1.5 us
GPIOHIL-MEASUREMENT latency-pair0-p50 20 us
GPIOHIL-MEASUREMENT latency-pair0-p90 30 us
GPIOHIL-MEASUREMENT latency-pair0-p99 40 us
GPIOHIL-MEASUREMENT latency-pair0-max 1000 us
GPIOHIL-MEASUREMENT latency-pair0-timeouts 1 probes
GPIOHIL-MEASUREMENT edges-5us-sent 200 edges
GPIOHIL-MEASUREMENT edges-5us-delivered 150 edges
GPIOHIL-MEASUREMENT edges-5us-merged 40 edges
GPIOHIL-MEASUREMENT edges-5us-lost 10 edges
GPIOHIL-RESULT fail passed=2 failed=2 skipped=1
`
	if b.String() != want {
		t.Errorf("markers:\n%s\nwant:\n%s", b.String(), want)
	}
	// A run whose specs all passed but which failed elsewhere (a
	// ReportAfterSuite, an interrupt) still says fail.
	b.Reset()
	Results{Specs: []SpecOutcome{{ID: "a", Result: ResultPass}}, Failed: true}.WriteMarkers(&b)
	if !strings.HasSuffix(b.String(), "GPIOHIL-RESULT fail passed=1 failed=0 skipped=0\n") {
		t.Errorf("failed run: %q", b.String())
	}
}

// Ginkgo's own JUnit report, rewritten with the rig's properties and each
// test case's ID, keeps what Ginkgo wrote.
func TestJUnitProperties(t *testing.T) {
	path := filepath.Join(t.TempDir(), "junit.xml")
	r := aReport()
	r.SpecReports[1].ContainerHierarchyLabels = [][]string{{"bring-up"}}
	if err := reporters.GenerateJUnitReport(r, path); err != nil {
		t.Fatal(err)
	}
	fx, err := fixtures.Load("sim")
	if err != nil {
		t.Fatal(err)
	}
	res := Results{Fixture: fx, Specs: outcomes(r),
		Latency: []LatencyResult{{Pair: "pair0", P50: 20 * time.Microsecond}}}
	if err := addJUnitProperties(path, res, "v1.2.3"); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var suites reporters.JUnitTestSuites
	if err := xml.Unmarshal(raw, &suites); err != nil {
		t.Fatal(err)
	}
	s := suites.TestSuites[0]
	for name, want := range map[string]string{PropFixture: "sim", PropTier: "sim", PropController: "sim", PropMCU: "virtual",
		PropVersion: "v1.2.3", PropFixtureSource: "embedded:sim", PropMeasurement + "latency-pair0-p50": "20 us",
		"SuiteSucceeded": "false"} {
		if got := s.Properties.WithName(name); got != want {
			t.Errorf("suite property %s = %q, want %q", name, got, want)
		}
	}
	var ids []string
	for _, tc := range s.TestCases {
		id := ""
		if tc.Properties != nil {
			id = tc.Properties.WithName(PropID)
		}
		ids = append(ids, id)
	}
	// BeforeSuite worked (no ID), the filtered-out spec has none either.
	want := []string{"", "wire-ack1-carries-levels-both-ways", "reads-every-wire", "senses-pulls", "", "reads-every-wire-2", "aftersuite"}
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("test case IDs %q, want %q", ids, want)
	}
	if s.Failures+s.Errors != 2 || s.TestCases[1].Failure == nil || !strings.Contains(s.TestCases[1].Failure.Message, "wire ack1: open") {
		t.Errorf("Ginkgo's failures did not survive: %+v", s.TestCases[1])
	}
}
