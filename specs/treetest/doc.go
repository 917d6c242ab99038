// Package treetest runs gpiohil's spec tree from the test binary of
// another package, so that a mutation tool that mutates that package (clx,
// the sim controller) judges each mutant by the spec tree alone: the
// package's TestMain calls Main and its TestSpecTree calls Test, and
// scripts/mutation.sh's spec-tree stage sets StageEnv.
//
// Ginkgo runs a tree once per process, so Test runs the tree once per
// fixture in a child process of the same test binary (the mutant), one
// fixture after another: specs time edges, and runs side by side would
// compete for the CPU.
package treetest
