package rig_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gpiohil/gpiohil/fixtures"
	"github.com/gpiohil/gpiohil/rig"
)

// The wiring check names the wire and the fault for every fault the
// harness can inject, in both directions: with the virtual MCU, and with
// the Pico firmware on the emulated RP2040 (when make firmware has built
// it).
func TestCheckWiringDiagnoses(t *testing.T) {
	t.Run("virtual", func(t *testing.T) { checkWiringDiagnoses(t, simFixture(t)) })
	t.Run("pico-emu", func(t *testing.T) {
		uf2, err := filepath.Abs("../dist/gpiohil-pico.uf2")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(uf2); err != nil {
			t.Skipf("needs the Pico firmware image %s: build it with make firmware", uf2)
		}
		src := strings.Replace(simFixture(t), "tier: sim", "tier: emulated", 1)
		checkWiringDiagnoses(t, strings.Replace(src, "mcu: {kind: virtual}", "mcu: {kind: pico-emu, firmware: "+uf2+"}", 1))
	})
}

func checkWiringDiagnoses(t *testing.T, fixture string) {
	for _, tc := range []struct {
		faults string
		want   map[string]string
	}{
		{"", map[string]string{"stim0": "ok", "ack0": "ok", "io2": "ok"}},
		{"- {wire: ack0, kind: open}", map[string]string{"ack0": "open", "stim0": "ok"}},
		{"- {wire: stim1, kind: stuck-at-0}", map[string]string{"stim1": "stuck-at-0"}},
		{"- {wire: io1, kind: stuck-at-1}", map[string]string{"io1": "stuck-at-1", "io0": "ok"}},
		{"- {wire: stim0, kind: swapped, with: io2}", map[string]string{"stim0": "swapped with io2", "io2": "swapped with stim0", "ack0": "ok"}},
	} {
		t.Run(tc.faults, func(t *testing.T) {
			src := fixture
			if tc.faults != "" {
				src += "  faults:\n    " + tc.faults + "\n"
			}
			fx, err := fixtures.Parse("test.yaml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			r, err := rig.Open(ctx, fx)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			res, err := r.CheckWiring(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range res {
				if want, ok := tc.want[w.Wire.Name]; ok && w.Diagnosis() != want {
					t.Errorf("wire %s: %q (forward %q, reverse %q), want %q", w.Wire.Name, w.Diagnosis(), w.Forward, w.Reverse, want)
				}
				if _, named := tc.want[w.Wire.Name]; !named && !w.OK && tc.faults != "" {
					// Other wires must be healthy unless the fault involves them.
					t.Errorf("wire %s: %q on a healthy wire", w.Wire.Name, w.Diagnosis())
				}
			}
		})
	}
}

// simFixture is the embedded sim fixture's text, ending in its harness
// section so faults can be appended.
func simFixture(t *testing.T) string {
	return `name: wiring-test
tier: sim
target: {controller: sim}
mcu: {kind: virtual}
wires:
  - {name: stim0, mcu_pin: 0, target_line: 0}
  - {name: ack0, mcu_pin: 1, target_line: 1}
  - {name: stim1, mcu_pin: 2, target_line: 2}
  - {name: io0, mcu_pin: 4, target_line: 7}
  - {name: io1, mcu_pin: 5, target_line: 8}
  - {name: io2, mcu_pin: 6, target_line: 23}
probes:
  - {name: pair0, stimulus: stim0, ack: ack0}
harness:
  delay: 0s
`
}
