package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/gpiohil/gpiohil/fixtures"
)

// A rig with a stuck wire, checked three times: the bring-up spec fails
// every run (a fault, not a flake), each run keeps its own reports and
// log, and the tally is written as JSON.
func TestRepeatNamesASpecThatFailsEveryRun(t *testing.T) {
	src, err := fixtures.Source("sim")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	broken := strings.Replace(string(src), "  delay: 0s\n", "  delay: 0s\n  faults:\n    - {wire: ack1, kind: stuck-at-1}\n", 1)
	path := filepath.Join(dir, "broken.yaml")
	if err := os.WriteFile(path, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	junit, flakes := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "flakes.json")
	out, code := gpiohil(t, "check", "--fixture", path, "--label-filter", "bring-up || io", "--repeat", "3",
		"--junit-report", junit, "--flake-report", flakes)
	if code != exitFail {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	for _, want := range []string{"run 1: FAILED", "run 3: FAILED", "Repeated 3 runs: 0 passed, 3 failed", "3/3", "fails every run",
		"Bring-up", "stuck-at-1", "logs of the failed runs"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q\n%s", want, out)
		}
	}
	for k := 1; k <= 3; k++ {
		if _, err := os.Stat(filepath.Join(dir, fmt.Sprintf("junit.run%d.xml", k))); err != nil {
			t.Errorf("run %d's JUnit report: %v", k, err)
		}
	}
	var tally flakeTally
	data, err := os.ReadFile(flakes)
	if err == nil {
		err = json.Unmarshal(data, &tally)
	}
	if err != nil || tally.Runs != 3 || tally.FailedRuns != 3 || len(tally.Specs) == 0 {
		t.Fatalf("flake report: %+v %v", tally, err)
	}
}

// A healthy rig with --until-it-fails runs to the cap and passes.
func TestRepeatUntilItFailsOnAHealthyRig(t *testing.T) {
	out, code := gpiohil(t, "check", "--label-filter", "io", "--until-it-fails", "--repeat", "2")
	if code != exitOK || !strings.Contains(out, "Repeated 2 runs: 2 passed, 0 failed") || strings.Contains(out, "flaky") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

// The tally tells a flaky spec (failed in some runs) from one that fails
// every run, and counts skips apart.
func TestFlakeTallyVerdicts(t *testing.T) {
	spec := func(name string, st types.SpecState) types.SpecReport {
		r := types.SpecReport{LeafNodeType: types.NodeTypeIt, ContainerHierarchyTexts: []string{"Area"}, LeafNodeText: name, State: st}
		if st == types.SpecStateFailed {
			r.Failure = types.Failure{Message: "Expected\n  1\nto equal 2", Location: types.CodeLocation{FileName: "x.go", LineNumber: 7}}
		}
		return r
	}
	run := func(specs ...types.SpecReport) []types.Report { return []types.Report{{SpecReports: specs}} }
	var f flakeTally
	f.add(run(spec("a", types.SpecStatePassed), spec("b", types.SpecStateFailed), spec("c", types.SpecStateSkipped)), true)
	f.add(run(spec("a", types.SpecStateFailed), spec("b", types.SpecStateTimedout), spec("c", types.SpecStateSkipped)), true)
	f.add(run(spec("a", types.SpecStatePassed), spec("b", types.SpecStatePanicked), spec("c", types.SpecStateSkipped),
		types.SpecReport{LeafNodeType: types.NodeTypeBeforeSuite, State: types.SpecStateFailed}), true)
	want := map[string]struct {
		verdict string
		rate    float64
	}{"Area a": {"flaky", 1.0 / 3}, "Area b": {"fails every run", 1}, "Area c": {"skipped", 0}}
	if len(f.Specs) != len(want) || f.Runs != 3 || f.FailedRuns != 3 {
		t.Fatalf("tally %+v", f)
	}
	for _, s := range f.Specs {
		w := want[s.Name]
		if s.Verdict() != w.verdict || s.FlakeRate() != w.rate {
			t.Errorf("%s: %s %.3f, want %s %.3f", s.Name, s.Verdict(), s.FlakeRate(), w.verdict, w.rate)
		}
	}
	var out bytes.Buffer
	f.write(&out)
	for _, want := range []string{"1/3", "33.3 %", "flaky", "3/3", "100.0 %", "fails every run", `first failure of "Area a": x.go:7: Expected`,
		"0 specs passed in every run they ran in; 1 never ran"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("tally lacks %q\n%s", want, out.String())
		}
	}
}

// Repeated under a lab engine: --out keeps each run's reports and log in
// its own directory and the tally beside them; --markers, which prints one
// run's results, is refused.
func TestRepeatIntoAnOutDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "artefacts")
	out, code := gpiohil(t, "check", "--label-filter", "bring-up", "--repeat", "2", "--out", dir)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, f := range []string{"run1/junit.xml", "run1/report.json", "run1/summary.txt", "run1/console.log", "run2/console.log", "flakes.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("--out with --repeat: %v", err)
		}
	}
	if log, err := os.ReadFile(filepath.Join(dir, "run2", "console.log")); err != nil || !strings.Contains(string(log), "Ran 7 of") {
		t.Errorf("run 2's log: %v\n%s", err, log)
	}
	out, code = gpiohil(t, "check", "--repeat", "2", "--markers")
	if code != exitUsage || !strings.Contains(out, "--markers") {
		t.Errorf("--markers with --repeat: exit %d\n%s", code, out)
	}
}
