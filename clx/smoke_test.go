package clx_test

import (
	"testing"

	"github.com/gpiohil/gpiohil/clx"
)

func TestSmokeEdge(t *testing.T) {
	for _, sc := range simConfigs {
		t.Run(sc.name, func(t *testing.T) {
			r := newSimRig(t, sc.name, sc.cfg, clx.Options{})
			rec := &recorder{claim: true}
			r.drive(3, clx.Low)
			r.connect(clx.InterruptConfig{Pin: 3, Mode: clx.Edge, Polarity: clx.ActiveHigh, ISR: rec.isr})
			for i := 0; i < 5; i++ {
				r.drive(3, clx.High)
				r.drive(3, clx.Low)
			}
			if rec.count() != 5 {
				t.Fatalf("deliveries = %d, want 5; errors %v", rec.count(), r.dispatchErrors())
			}
		})
	}
}
