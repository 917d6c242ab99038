package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bench latency then bench compare, as a lab script would run them.
func TestBenchCommands(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "run")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"bench", "latency", "-n", "200", "--warmup", "5", "--pair", "pair1", "--out", out}, &stdout, &stderr); code != exitOK {
		t.Fatalf("bench latency: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	for _, want := range []string{"pair1    n=200", "wire_to_controller", "Reports in " + out} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
	if strings.Contains(stdout.String(), "pair0") {
		t.Error("--pair pair1 measured pair0 too")
	}
	if !strings.Contains(stderr.String(), "bench: 205/205 probes") {
		t.Errorf("no progress lines on a non-terminal:\n%s", stderr.String())
	}
	base := filepath.Join(out, "latency.json")
	// The same run against itself: no regression.
	stdout.Reset()
	if code := run(context.Background(), []string{"bench", "compare", base, base, "--max-regress", "p99=10%"}, &stdout, io.Discard); code != exitOK {
		t.Fatalf("compare a run with itself: exit %d\n%s", code, stdout.String())
	}
	// A run whose p99 doubled: exit 1, the regression named.
	data, _ := os.ReadFile(base)
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	lat := doc["pairs"].([]any)[0].(map[string]any)["latency"].(map[string]any)
	lat["p99_ns"] = lat["p99_ns"].(float64) * 2
	worse, _ := json.Marshal(doc)
	worsePath := filepath.Join(dir, "worse.json")
	os.WriteFile(worsePath, worse, 0o644)
	stdout.Reset()
	stderr.Reset()
	code := run(context.Background(), []string{"bench", "compare", base, worsePath, "--max-regress", "p99=10%,p99.9=20%"}, &stdout, &stderr)
	if code != exitFail || !strings.Contains(stdout.String(), "REGRESSION") || !strings.Contains(stderr.String(), "pair1 p99 +100.0%") {
		t.Fatalf("compare a regressed run: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	if code := run(context.Background(), []string{"bench", "compare", base, "/nonexistent.json"}, io.Discard, io.Discard); code != exitUsage {
		t.Fatalf("compare a missing file: exit %d", code)
	}
	if code := run(context.Background(), []string{"bench", "compare", base, base, "--max-regress", "p42=1%"}, io.Discard, io.Discard); code != exitUsage {
		t.Fatalf("bad threshold: exit %d", code)
	}
}
