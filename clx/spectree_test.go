//go:build spectree

package clx_test

import (
	"os"
	"testing"

	"github.com/gpiohil/gpiohil/specs/treetest"
)

func TestMain(m *testing.M) { os.Exit(treetest.Main(m)) }

// TestSpecTree judges this package by the spec tree alone (the spec-tree
// stage of scripts/mutation.sh); it skips in an ordinary run.
func TestSpecTree(t *testing.T) { treetest.Test(t) }
