package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gpiohil/gpiohil/fixtures"
)

// The test binary doubles as the gpiohil command (a spec run can happen
// once per process): with this variable set, TestMain runs main.
const asCommand = "GPIOHIL_TEST_AS_COMMAND"

func TestMain(m *testing.M) {
	if os.Getenv(asCommand) == "1" {
		os.Args = append([]string{"gpiohil"}, os.Args[1:]...)
		main()
	}
	os.Exit(m.Run())
}

// gpiohil runs the command in a child process and returns its output and
// exit status.
func gpiohil(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), asCommand+"=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), code
}

// The main job as a new user runs it: no arguments, the embedded sim rig,
// every spec, reports written.
func TestCheckOnTheSimRig(t *testing.T) {
	dir := t.TempDir()
	junit, js := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "report.json")
	out, code := gpiohil(t, "check", "--junit-report", junit, "--json-report", js, "--markers")
	if code != exitOK {
		t.Fatalf("check: exit %d\n%s", code, out)
	}
	for _, want := range []string{"0 Failed", "\nGPIOHIL-SPEC bring-up-wire-stim0-mcu-pin-0-target-line-0-carries-levels-both-ways pass ",
		"\nGPIOHIL-MEASUREMENT latency-pair0-p99 ", "\nGPIOHIL-RESULT pass passed=", "| 3 Skipped", "the controller senses both edges itself: the framework re-arms nothing", "no level crosses the wires while an ISR runs", "Rig sim (sim tier, embedded:sim)", "Wiring", "stim0  0        0            ok",
		"Latency", "pair0", "pair1", "Narrowest pulse", "Controller timestamps", "stamp − drive 0s … 0s",
		"Interrupt storms detected and stopped: 1", "Panicking ISRs contained: 2",
		"Controller-driver faults reported outside any call: "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out, "errors outside any call and lost") {
		t.Errorf("a healthy sim rig reported errors no spec provoked:\n%s", out)
	}
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	data, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(data, &suites); err != nil || suites.Tests < 30 || suites.Failures != 0 {
		t.Fatalf("junit report: %+v %v", suites, err)
	}
	for _, want := range []string{`<property name="gpiohil.tier" value="sim">`, `<property name="gpiohil.measurement.latency-pair1-p50" value="`,
		`<property name="gpiohil.id" value="bring-up-wire-ack1-mcu-pin-3-target-line-3-carries-levels-both-ways">`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("junit report lacks %s", want)
		}
	}
	data, err = os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	var reports []map[string]any
	if err := json.Unmarshal(data, &reports); err != nil || len(reports) != 1 {
		t.Fatalf("json report: %v", err)
	}
	if !strings.Contains(string(data), "latency pair0") || !strings.Contains(string(data), "narrowest pulse") || !strings.Contains(string(data), "asked_ns") {
		t.Fatal("json report lacks the measurements")
	}
}

// A broken rig: the wiring table names each faulty wire and its fault,
// the rest is skipped, and the exit status is 1.
func TestCheckDiagnosesBrokenWiring(t *testing.T) {
	src, err := fixtures.Source("sim")
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(src), "  delay: 0s\n",
		"  delay: 0s\n  faults:\n    - {wire: ack1, kind: stuck-at-1}\n    - {wire: io0, kind: swapped, with: io2}\n", 1)
	path := filepath.Join(t.TempDir(), "broken.yaml")
	if err := os.WriteFile(path, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "artefacts")
	out, code := gpiohil(t, "check", "--fixture", path, "--out", dir, "--markers")
	if code != exitFail {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	// An engine names the broken wire from the markers, or from the files.
	if !strings.Contains(out, "\nGPIOHIL-SPEC bring-up-wire-ack1-mcu-pin-3-target-line-3-carries-levels-both-ways fail ") ||
		!strings.Contains(out, "\nGPIOHIL-RESULT fail passed=4 failed=3 skipped=") {
		t.Errorf("markers do not name the broken wires:\n%s", out)
	}
	summary, err := os.ReadFile(filepath.Join(dir, "summary.txt"))
	if err != nil || !strings.Contains(string(summary), "FAULT   stuck-at-1") || !strings.Contains(string(summary), "GPIOHIL-RESULT fail") {
		t.Errorf("summary.txt: %v\n%s", err, summary)
	}
	for _, f := range []string{"junit.xml", "report.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("--out: %v", err)
		}
	}
	for _, want := range []string{"ack1   3        3            FAULT   stuck-at-1", "io0    4        7            FAULT   swapped with io2",
		"io2    6        23           FAULT   swapped with io0", "stim0  0        0            ok", "| 3 Failed |",
		"Every spec past bring-up was skipped"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q\n%s", want, out)
		}
	}
}

func TestCheckUsageAndFixtureErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: x\ntier: sim\nwires:\n  - {name: a, mcu_pin: 0, target_line: 0, colour: red}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := gpiohil(t, "check", "--fixture", bad)
	if code != exitUsage || !strings.Contains(out, bad+":4:") || !strings.Contains(out, `unknown field "colour"`) {
		t.Fatalf("bad fixture: exit %d\n%s", code, out)
	}
	out, code = gpiohil(t, "check", "--fixture", "no-such-rig")
	if code != exitUsage || !strings.Contains(out, "no-such-rig") {
		t.Fatalf("missing fixture: exit %d\n%s", code, out)
	}
	// A rig that is not there: one clear error, exit 1, no spec run.
	out, code = gpiohil(t, "check", "--fixture", "boards/rpi5-pico")
	if code != exitFail || !strings.Contains(out, "rig rpi5-pico cannot be used") || !strings.Contains(out, "pinctrl-rp1") || strings.Contains(out, "Ran ") {
		t.Fatalf("absent rig: exit %d\n%s", code, out)
	}
	// A label filter runs a subset.
	out, code = gpiohil(t, "check", "--label-filter", "io && !cap:pulls")
	var ran, of int
	if i := strings.Index(out, "Ran "); i >= 0 {
		fmt.Sscanf(out[i:], "Ran %d of %d Specs", &ran, &of)
	}
	if code != exitOK || ran == 0 || ran >= of || strings.Contains(out, "senses the target's pulls") {
		t.Fatalf("label filter: exit %d, ran %d of %d\n%s", code, ran, of, out)
	}
	// The emulated sim rig passes too.
	out, code = gpiohil(t, "check", "--fixture", "sim-emulated", "--label-filter", "!latency")
	if code != exitOK || !strings.Contains(out, "active-both (emulated): ") || !strings.Contains(out, "through debounce 50ms (emulated): ") {
		t.Fatalf("sim-emulated: exit %d\n%s", code, out)
	}
}

func TestFixtureCommands(t *testing.T) {
	out, code := gpiohil(t, "fixture", "list")
	if code != exitOK || !strings.Contains(out, "boards/rpi5-pico") || !strings.Contains(out, "not yet run on hardware") {
		t.Fatalf("list: %d\n%s", code, out)
	}
	out, code = gpiohil(t, "fixture", "validate", "sim", "boards/rpi4-pico")
	if code != exitOK || strings.Count(out, ": ok") != 2 {
		t.Fatalf("validate: %d\n%s", code, out)
	}
	out, code = gpiohil(t, "fixture", "show", "sim")
	if code != exitOK || !strings.Contains(out, "name: sim") {
		t.Fatalf("show: %d\n%s", code, out)
	}
}

// --list names, without opening the rig, exactly the specs a run reports,
// with the same IDs: an engine can make one test of each before the run.
func TestListMatchesTheRun(t *testing.T) {
	list, code := gpiohil(t, "check", "--list", "--fixture", "boards/rpi5-pico", "--label-filter", "bring-up || io")
	if code != exitOK || !strings.Contains(list, "bring-up-wire-ack1-mcu-pin-3-target-line-gpio23-carries-levels-both-ways\tBring-up wire ack1") {
		t.Fatalf("--list on a rig that is not here: exit %d\n%s", code, list)
	}
	list, code = gpiohil(t, "check", "--list", "--label-filter", "bring-up || io")
	if code != exitOK {
		t.Fatalf("--list: exit %d\n%s", code, list)
	}
	var listed []string
	for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
		id, _, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("--list line without a tab: %q", line)
		}
		listed = append(listed, id)
	}
	out, code := gpiohil(t, "check", "--markers", "--label-filter", "bring-up || io")
	if code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	var ran []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[0] == "GPIOHIL-SPEC" {
			ran = append(ran, f[1])
		}
	}
	sort.Strings(listed)
	sort.Strings(ran)
	if len(listed) < 10 || strings.Join(listed, " ") != strings.Join(ran, " ") {
		t.Errorf("--list gave %d IDs, the run %d:\nlisted %v\nran    %v", len(listed), len(ran), listed, ran)
	}
}
