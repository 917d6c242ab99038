// Package treetest runs gpiohil's spec tree from the test binary of
// another package, so that a mutation tool that mutates that package (clx,
// the sim controller) judges each mutant by the spec tree alone: the
// package's TestMain calls Main and its TestSpecTree calls Test, in a file
// built only with the spectree tag (so the package's ordinary test binary
// does not link the whole rig), and scripts/mutation.sh's spec-tree stage
// builds with that tag and sets StageEnv.
//
// Ginkgo runs a tree once per process, so Test runs the tree once per
// fixture in a child process of the same test binary (the mutant), one
// fixture after another: specs time edges, and runs side by side would
// compete for the CPU.
package treetest
