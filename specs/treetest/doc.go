// Package treetest runs gpiohil's spec tree from the test binary of
// another package, so that a mutation tool that mutates that package (clx,
// the sim controller) judges each mutant by the spec tree alone: the
// package's TestMain calls Main and its TestSpecTree calls Test, in a file
// built only with the spectree tag (so the package's ordinary test binary
// does not link the whole rig), and scripts/mutation.sh's spec-tree stage
// builds with that tag and sets StageEnv.
//
// Ginkgo runs a tree once per process, so Test runs the tree once per
// fixture in a child process of the same test binary (the mutant), the
// fixtures side by side: a tree spends nearly all its time waiting on
// edges and quiet windows (about 1 s of CPU in 9 s on the sim rig), and
// its specs judge their timing against the rig's own measurements, not
// the wall clock, so runs side by side neither slow nor fail each other.
package treetest
