package bench

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress shows a bar on a terminal, or a line every few seconds.
type progress struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	total int
	n     int
	last  time.Time
}

func newProgress(w io.Writer, terminal bool, total int) *progress {
	p := &progress{w: w, total: total, last: time.Now()}
	if w != nil && terminal {
		p.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription("probing"),
			progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100*time.Millisecond))
	}
	return p
}

// progressEvery is how many probes one progress step covers: a probe
// train answers tens of thousands a second.
const progressEvery = 256

func (p *progress) step(pair string, pr *PairResult) {
	p.n++
	if p.n%progressEvery != 0 && p.n != p.total {
		return
	}
	switch {
	case p.w == nil:
	case p.bar != nil:
		_ = p.bar.Set(p.n)
	case time.Since(p.last) >= 2*time.Second || p.n == p.total:
		p.last = time.Now()
		fmt.Fprintf(p.w, "bench: %d/%d probes (%s: %d samples, p50 %v)\n", p.n, p.total, pair, pr.hist.TotalCount(),
			time.Duration(pr.hist.ValueAtQuantile(50)))
	}
}

func (p *progress) done() {
	if p.bar != nil {
		_ = p.bar.Finish()
		fmt.Fprintln(p.w)
	}
}
