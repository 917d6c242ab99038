// Package tree declares a Ginkgo spec tree when it runs rather than when
// its package is imported. Ginkgo has one global tree per process, so a
// binary that holds several trees (gpiohil check and gpiohil mcu
// conformance) must declare only the one it runs.
package tree

import "sync"

// Tree collects a spec tree's top-level nodes (containers, BeforeSuite,
// AfterSuite, ReportAfterSuite). The zero value is ready to use.
type Tree struct {
	nodes []func()
	once  sync.Once
}

// Add records a top-level node, declared by Declare; it returns true so
// that it can stand in a package-level var declaration.
func (t *Tree) Add(declare func()) bool {
	t.nodes = append(t.nodes, declare)
	return true
}

// Declare declares every node to Ginkgo, once.
func (t *Tree) Declare() {
	t.once.Do(func() {
		for _, declare := range t.nodes {
			declare()
		}
	})
}
