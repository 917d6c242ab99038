package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

// repeatFlags are check's flags for running the spec tree again and again.
type repeatFlags struct {
	runs       int    // --repeat: runs in all (0: unbounded with --until-it-fails)
	untilFails bool   // --until-it-fails: stop after the first failed run
	report     string // --flake-report: the tally as JSON
}

// active reports whether check should repeat rather than run once.
func (r repeatFlags) active() bool { return r.runs > 1 || r.untilFails }

// repeatCheck runs check once per run in a fresh child process (a fresh
// rig, as a lab's next job would get), keeps each run's log and reports,
// and tallies every spec's outcome into a flake rate. childArgs are the
// child's arguments without report flags; junit and json are the user's
// report paths, written per run with ".runK" before the extension. With
// out, each run writes its reports and its log (console.log) into
// out/runK, and the flake report goes to out/flakes.json unless named.
func repeatCheck(ctx context.Context, w io.Writer, childArgs []string, rf repeatFlags, junit, jsonPath, out string) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("repeat: find the gpiohil binary to rerun: %w", err)
	}
	dir, err := os.MkdirTemp("", "gpiohil-repeat-")
	if err != nil {
		return fmt.Errorf("repeat: %w", err)
	}
	var tally flakeTally
	var failedLogs []string
	interrupted := false
	for k := 1; rf.runs == 0 || k <= rf.runs; k++ {
		if ctx.Err() != nil {
			interrupted = true
			break
		}
		logPath := filepath.Join(dir, fmt.Sprintf("run%d.log", k))
		js := filepath.Join(dir, fmt.Sprintf("run%d.json", k))
		args := append([]string(nil), childArgs...)
		if out != "" {
			runDir := filepath.Join(out, fmt.Sprintf("run%d", k))
			if err := os.MkdirAll(runDir, 0o755); err != nil {
				return fmt.Errorf("repeat: %w", err)
			}
			logPath, js = filepath.Join(runDir, "console.log"), filepath.Join(runDir, "report.json")
			args = append(args, "--out", runDir)
		}
		if jsonPath != "" {
			js = perRun(jsonPath, k)
		}
		args = append(args, "--json-report", js)
		if junit != "" {
			args = append(args, "--junit-report", perRun(junit, k))
		}
		start := time.Now()
		code, err := runChild(ctx, exe, args, logPath)
		if err != nil {
			return fmt.Errorf("repeat: run %d: %w", k, err)
		}
		if code == exitUsage {
			log, _ := os.ReadFile(logPath)
			return usagef("run %d: %s", k, strings.TrimSpace(string(log)))
		}
		reports, rerr := readReports(js)
		failed := code != exitOK
		tally.add(reports, failed)
		fmt.Fprintf(w, "run %d: %s\n", k, runLine(code, reports, rerr, time.Since(start)))
		if failed {
			failedLogs = append(failedLogs, logPath)
		}
		if code == exitInterrupted || ctx.Err() != nil {
			interrupted = true
			break
		}
		if failed && rf.untilFails {
			break
		}
	}
	tally.write(w)
	if len(failedLogs) > 0 {
		fmt.Fprintf(w, "  logs of the failed runs: %s\n", strings.Join(failedLogs, " "))
	} else {
		os.RemoveAll(dir)
	}
	if rf.report == "" && out != "" {
		rf.report = filepath.Join(out, "flakes.json")
	}
	if rf.report != "" {
		data, err := json.MarshalIndent(&tally, "", "  ")
		if err == nil {
			err = os.WriteFile(rf.report, append(data, '\n'), 0o644)
		}
		if err != nil {
			return fmt.Errorf("repeat: flake report: %w", err)
		}
	}
	switch {
	case interrupted:
		return &interruptedError{fmt.Errorf("check --repeat interrupted after %d runs", tally.Runs)}
	case tally.FailedRuns > 0:
		return errChecksFailed
	}
	return nil
}

// runChild runs one check in a child process, its output to logPath, and
// returns its exit status. Interrupting ctx interrupts the child, which
// keeps its reports.
func runChild(ctx context.Context, exe string, args []string, logPath string) (int, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return 0, err
	}
	defer log.Close()
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = time.Minute
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return exitOK, nil
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		return ee.ExitCode(), nil
	case errors.As(err, &ee) && ctx.Err() != nil:
		return exitInterrupted, nil
	}
	return 0, err
}

// readReports reads a run's Ginkgo JSON report.
func readReports(path string) ([]types.Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var reports []types.Report
	if err := json.Unmarshal(data, &reports); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return reports, nil
}

// runLine summarises one run in a line.
func runLine(code int, reports []types.Report, rerr error, took time.Duration) string {
	if rerr != nil {
		return fmt.Sprintf("FAILED (exit %d) with no report (%v): the rig could not be used; see its log", code, rerr)
	}
	var count [3]int
	var failures []string
	eachSpec(reports, func(s types.SpecReport, o outcome) {
		count[o]++
		if o == failed {
			failures = append(failures, strconv.Quote(s.FullText()))
		}
	})
	counts := fmt.Sprintf("%d passed, %d failed, %d skipped, %s", count[passed], count[failed], count[skipped], took.Round(10*time.Millisecond))
	if code == exitOK {
		return "passed (" + counts + ")"
	}
	return fmt.Sprintf("FAILED (%s): %s", counts, strings.Join(failures, ", "))
}

// perRun inserts ".runK" before path's extension: junit.xml → junit.run3.xml.
func perRun(path string, k int) string {
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + ".run" + strconv.Itoa(k) + ext
}
