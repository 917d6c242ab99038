package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gpiohil/gpiohil/rig/proto"
)

const protoVersion = proto.Version

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // the command ran and failed
	exitUsage = 2 // bad flags or arguments
	// exitInterrupted: stopped by a signal (after keeping what was measured).
	exitInterrupted = 130
)

// usageError marks errors in how the command was called.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return &usageError{fmt.Errorf(format, a...)} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "gpiohil: %v\n", err)
	var ue *usageError
	if errors.As(err, &ue) || isFlagError(err) {
		return exitUsage
	}
	var ie *interruptedError
	if errors.As(err, &ie) {
		return exitInterrupted
	}
	return exitFail
}

func isFlagError(err error) bool {
	var fe *flagError
	return errors.As(err, &fe)
}

// flagError wraps cobra's flag parsing errors.
type flagError struct{ err error }

func (e *flagError) Error() string { return e.err.Error() }
func (e *flagError) Unwrap() error { return e.err }

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "gpiohil",
		Short: "Hardware-in-the-loop test rig and benchmark suite for GPIO controller drivers",
		Long: `gpiohil validates and benchmarks GPIO controller drivers from outside, through the wires:
a companion MCU wired pin-to-pin to the target drives stimulus edges and timestamps the
target's answers in its own clock.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().Bool("no-color", false, "never colour the output (also: NO_COLOR set; colour is only ever used on a terminal)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &flagError{err} })
	root.AddCommand(newCheckCmd(), newBenchCmd(), newFixtureCmd(), newMCUCmd(), newVersionCmd())
	return root
}

// version is set at build time (make dist).
var version = "dev"

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print gpiohil's version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(cmd.OutOrStdout(), "gpiohil %s %s(protocol %d)\n", version, commitNote(), protoVersion)
		},
	}
}

func commitNote() string {
	if commit == "" {
		return ""
	}
	return "commit " + commit + " "
}

func init() {
	if commit != "" {
		return
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 7 {
				commit = s.Value[:7]
			}
		}
	}
}
