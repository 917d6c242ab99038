package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// gpiohilOnTerminal runs the command with its output on a pseudo-terminal
// and returns what it wrote there.
func gpiohilOnTerminal(t *testing.T, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), asCommand+"=1"), env...)
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: 200})
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	var out bytes.Buffer
	done := make(chan struct{})
	go func() { io.Copy(&out, tty); close(done) }() // ends with EIO when the child exits
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	<-done
	return out.String()
}

// Colour only on a terminal, and never with --no-color or NO_COLOR.
func TestColourOnlyWhenWanted(t *testing.T) {
	const esc = "\x1b["
	check := []string{"check", "--label-filter", "bring-up"}
	if out := gpiohilOnTerminal(t, nil, check...); !strings.Contains(out, esc) {
		t.Errorf("no colour on a terminal:\n%s", out)
	}
	if out := gpiohilOnTerminal(t, nil, append(check, "--no-color")...); strings.Contains(out, esc) || !strings.Contains(out, "SUCCESS!") {
		t.Errorf("--no-color coloured:\n%q", out)
	}
	if out := gpiohilOnTerminal(t, []string{"NO_COLOR=1"}, check...); strings.Contains(out, esc) || !strings.Contains(out, "SUCCESS!") {
		t.Errorf("NO_COLOR coloured:\n%q", out)
	}
	if out, _ := gpiohil(t, check...); strings.Contains(out, esc) {
		t.Errorf("coloured into a pipe:\n%q", out)
	}
}
