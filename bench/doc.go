// Package bench is gpiohil's latency engine: it runs probes through the
// companion MCU (both edges timed on the MCU's clock), records them in HDR
// histograms (constant memory however many samples), splits each sample
// into wire→controller, controller→ISR and ISR→ack where the target has
// its own timestamps, streams raw samples to disk, and writes reports
// people can look at (report.html), machines can read (latency.json,
// documented in README.md) and benchstat can compare. Compare gates CI on
// regressions between two runs.
//
// Loop (probe.go) is the one probe loop and Distribution (stats.go) the one
// percentile engine: the latency specs and `gpiohil mcu ping` use them too.
package bench
