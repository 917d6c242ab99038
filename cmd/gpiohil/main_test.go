package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gpiohil/gpiohil/rig"
	"github.com/gpiohil/gpiohil/rig/proto"
)

// The commands as a user runs them: serve a virtual MCU, read its path
// from the first line, ask it for its identity and ping it.
func TestMCUCommands(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	vctx, stopVirtual := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(vctx, []string{"mcu", "virtual", "--name", "bench-pico"}, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimSpace(line)
	if !strings.HasPrefix(path, "/dev/") {
		t.Fatalf("first line %q is not a tty path", line)
	}
	go io.Copy(io.Discard, pr)

	var out, errOut bytes.Buffer
	// A rig in use is refused, naming the holder.
	t.Setenv("GPIOHIL_LOCK_DIR", t.TempDir())
	held, err := rig.Acquire(path, "a running check")
	if err != nil {
		t.Fatal(err)
	}
	if code := run(ctx, []string{"mcu", "ping", "--port", path}, &out, &errOut); code != exitFail || !strings.Contains(errOut.String(), "a running check") {
		t.Fatalf("ping a busy rig: exit %d, %q", code, errOut.String())
	}
	held.Release()
	errOut.Reset()
	if code := run(ctx, []string{"mcu", "info", "--port", path}, &out, &errOut); code != exitOK {
		t.Fatalf("info: exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"board      bench-pico", "protocol   " + strconv.Itoa(proto.Version), "tick rate  1000000000 Hz", "pins       23", "probes"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("info output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if code := run(ctx, []string{"mcu", "ping", "--port", path, "-n", "50"}, &out, &errOut); code != exitOK {
		t.Fatalf("ping: exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"50 pings to " + path, "min ", "p50 ", "p99 ", "max "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("ping output lacks %q:\n%s", want, out.String())
		}
	}
	// A name longer than the protocol's 16 bytes is refused, not cut.
	if code := run(ctx, []string{"mcu", "virtual", "--name", "ÄÄÄÄÄÄÄÄÄ"}, io.Discard, &errOut); code != exitUsage {
		t.Fatalf("a 18-byte name: exit %d", code)
	}
	stopVirtual()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("virtual exited %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("virtual MCU did not stop when interrupted")
	}
	// The MCU is gone: a clear error, exit 1.
	errOut.Reset()
	if code := run(ctx, []string{"mcu", "info", "--port", path}, io.Discard, &errOut); code != exitFail || !strings.Contains(errOut.String(), path) {
		t.Fatalf("info on a vanished MCU: exit %d, %q", code, errOut.String())
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"mcu", "info"},
		{"mcu", "info", "--port", "/dev/x", "--usb", "1:2"},
		{"mcu", "ping", "--usb", "2e8a"},
		{"mcu", "ping", "--port", "/dev/x", "-n", "0"},
		{"mcu", "info", "--bogus"},
		{"mcu", "virtual", "--pins", "99"},
	} {
		var errOut bytes.Buffer
		if code := run(context.Background(), args, io.Discard, &errOut); code != exitUsage || !strings.HasPrefix(errOut.String(), "gpiohil: ") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 with a message", args, code, errOut.String())
		}
	}
}

// The conformance suite as a user runs it against a virtual MCU with a
// jumper, and without one: the specs that need it are skipped, saying so.
func TestMCUConformance(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	vctx, stopVirtual := context.WithCancel(ctx)
	defer stopVirtual()
	pr, pw := io.Pipe()
	go func() {
		run(vctx, []string{"mcu", "virtual", "--jumper", "0:1"}, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	path := strings.TrimSpace(line)
	junit := filepath.Join(t.TempDir(), "conformance.xml")
	out, code := gpiohil(t, "mcu", "conformance", "--port", path, "--jumper", "0:1", "--junit-report", junit)
	if code != exitOK || !strings.Contains(out, "0 Failed") || !strings.Contains(out, "0 Skipped") {
		t.Fatalf("conformance with a jumper: exit %d\n%s", code, out)
	}
	if data, err := os.ReadFile(junit); err != nil || !strings.Contains(string(data), "runs the next command exactly once after") {
		t.Fatalf("JUnit report: %v", err)
	}
	out, code = gpiohil(t, "mcu", "conformance", "--port", path, "--label-filter", "pulses || probes")
	if code != exitOK || !strings.Contains(out, "skipped: ") || !strings.Contains(out, "--jumper A:B") {
		t.Fatalf("conformance without a jumper: exit %d\n%s", code, out)
	}
}
