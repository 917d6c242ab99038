package specs

import "sync"

// The tree's top-level nodes are declared to Ginkgo only when the tree
// runs (Run, or go test ./specs), not when the package is imported:
// Ginkgo has one global tree per process, and a program that imports this
// package to run another tree (gpiohil mcu conformance) must not get
// these specs in it.
var (
	nodes     []func()
	buildOnce sync.Once
)

// node adds a top-level node (a container, BeforeSuite, AfterSuite).
func node(declare func()) bool {
	nodes = append(nodes, declare)
	return true
}

// buildTree declares every node to Ginkgo, once.
func buildTree() {
	buildOnce.Do(func() {
		for _, declare := range nodes {
			declare()
		}
	})
}
