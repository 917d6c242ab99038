package main

import (
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// noColorEnv is the environment variable of the NO_COLOR convention: set
// and not empty, it turns colour off.
const noColorEnv = "NO_COLOR"

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// useColor reports whether cmd may colour what it writes to w: only on a
// terminal, and not when --no-color is given or NO_COLOR is set.
func useColor(cmd *cobra.Command, w io.Writer) bool {
	if off, _ := cmd.Flags().GetBool("no-color"); off {
		return false
	}
	return os.Getenv(noColorEnv) == "" && isTerminal(w)
}
