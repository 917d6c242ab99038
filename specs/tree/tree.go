// Package tree declares a Ginkgo spec tree when it runs rather than when
// its package is imported. Ginkgo has one global tree per process, so a
// binary that holds several trees (gpiohil check and gpiohil mcu
// conformance) must declare only the one it runs.
package tree

import (
	"sync"

	"github.com/onsi/ginkgo/v2/types"
)

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

// SkipReasons lists the specs of a report that were skipped on purpose,
// each as "spec: reason" (specs a label filter left out have no reason
// and are not listed).
func SkipReasons(r types.Report) []string {
	var out []string
	for _, sr := range r.SpecReports {
		if sr.State == types.SpecStateSkipped && sr.Failure.Message != "" {
			out = append(out, sr.FullText()+": "+sr.Failure.Message)
		}
	}
	return out
}
