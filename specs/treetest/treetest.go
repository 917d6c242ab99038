package treetest

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gpiohil/gpiohil/fixtures"
	"github.com/gpiohil/gpiohil/specs"
)

// StageEnv names the fixtures of the spec-tree stage, comma-separated
// (embedded names or files). Set, the test binary runs TestSpecTree
// alone; unset, TestSpecTree skips.
const StageEnv = "GPIOHIL_SPEC_TREE"

// childEnv names the one fixture a child process runs the tree on.
const childEnv = "GPIOHIL_SPEC_TREE_CHILD"

// Main is a package's TestMain: a child process runs the tree and exits;
// under StageEnv only TestSpecTree runs; otherwise the package's tests
// run as usual.
func Main(m *testing.M) int {
	if name := os.Getenv(childEnv); name != "" {
		return runChild(name)
	}
	if os.Getenv(StageEnv) != "" {
		flag.Parse()
		if err := flag.Set("test.run", "^TestSpecTree$"); err != nil {
			fmt.Fprintln(os.Stderr, "treetest:", err)
			return 2
		}
	}
	return m.Run()
}

// Test runs the tree on each fixture StageEnv names, each in a child
// process of this test binary, all at once, and fails naming every
// fixture whose run failed.
func Test(t *testing.T) {
	list := os.Getenv(StageEnv)
	if list == "" {
		t.Skip("runs only in the spec-tree stage of scripts/mutation.sh (" + StageEnv + " names the fixtures); go test ./specs runs the tree")
	}
	ctx := context.Background()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-time.Second))
		defer cancel()
	}
	names := strings.Split(list, ",")
	outs := make([]string, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.CommandContext(ctx, os.Args[0])
			cmd.Env = append(os.Environ(), childEnv+"="+name)
			cmd.WaitDelay = 5 * time.Second
			out, err := cmd.CombinedOutput()
			outs[i], errs[i] = string(out), err
		}()
	}
	wg.Wait()
	for i, name := range names {
		if errs[i] != nil {
			t.Errorf("spec tree on fixture %s: %v\n%s", name, errs[i], lastLines(outs[i], 40))
		}
	}
}

// runChild runs the tree on one fixture, stopping at the first failure.
func runChild(name string) int {
	fx, err := fixtures.Load(name)
	if err != nil {
		fmt.Fprintf(os.Stderr, "treetest: fixture %s: %v\n", name, err)
		return 2
	}
	res, err := specs.Run(context.Background(), specs.Options{Fixture: fx, FailFast: true})
	if err != nil {
		fmt.Fprintf(os.Stderr, "treetest: %v\n", err)
		return 1
	}
	if res.Failed {
		return 1
	}
	return 0
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
