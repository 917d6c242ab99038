package clx

// Unguarded returns o with the controller's panic guards off, for
// BenchmarkEdgeDispatch/clx-unguarded: what containing a panicking
// controller costs each dispatch.
func Unguarded(o Options) Options {
	o.unguarded = true
	return o
}
