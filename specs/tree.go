package specs

import "github.com/gpiohil/gpiohil/specs/tree"

// checkTree is the spec tree, declared when Run (or go test ./specs) runs
// it, not when the package is imported (see package tree).
var checkTree tree.Tree

// node adds a top-level node of the tree.
func node(declare func()) bool { return checkTree.Add(declare) }

// buildTree declares the tree to Ginkgo, once.
func buildTree() { checkTree.Declare() }
