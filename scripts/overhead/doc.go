// Command overhead prints clx's cost against the bare controller as a table
// of ratios, each taken within one run and the median over runs reported.
//
// It reads, on standard input, the output of several runs of the clx
// benchmarks (go test -bench, one process per run, so that a run's bare
// and clx figures were measured side by side) and of the QEMU guest's
// measurement test, whose lines read
//
//	OVERHEAD <measure> bare=<value> clx=<value>
//
// The k-th figure of a measure's bare side is paired with the k-th of its
// clx side. Each row of the table names its goal; with -gate the command
// exits 1 when a row with figures misses its goal.
//
//	make bench      # the sim controller's rows, five runs
//	make bench-vm   # the cdev rows, five runs in the QEMU guest
package main
