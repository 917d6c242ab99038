package clx_test

import (
	"fmt"
	"math/rand"
	"sync"
	"testing"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/sim"
)

// modelPin is the contract's reference model of one edge interrupt pin.
type modelPin struct {
	connected    bool
	pol          clx.Polarity
	masked       bool
	latched      bool      // native: status retained while masked
	latchedLevel clx.Level // the level of the last latched edge
	emulated     bool      // active-both emulated by polarity flips
	hwPol        clx.Level // emulated: the level the pin is armed for
	level        clx.Level
	want         []clx.Level
}

func (m *modelPin) deliver(l clx.Level) { m.want = append(m.want, l) }

// settleEmulated delivers while the line sits at the armed level.
func (m *modelPin) settleEmulated() {
	if m.connected && m.emulated && !m.masked && m.level == m.hwPol {
		m.deliver(m.hwPol)
		m.hwPol = 1 - m.hwPol
	}
}

func (m *modelPin) setLevel(l clx.Level) {
	if l == m.level {
		return
	}
	m.level = l
	if !m.connected {
		return
	}
	if m.emulated {
		m.settleEmulated()
		return
	}
	if m.pol == clx.ActiveBoth || m.pol.Asserted() == l {
		if m.masked {
			m.latched, m.latchedLevel = true, l
		} else {
			m.deliver(l)
		}
	}
}

var fuzzConfigs = []sim.Config{
	{},
	{EmulateBothEdges: true},
	{AutoClearOnRead: true},
	{MaskIO: true, Pins: 12, PinsPerBank: 3},
	{BusAttached: true},
}

const fuzzPins = 4

// runModel drives ops through clx + sim and checks every delivery against
// the model after every op: no lost, duplicated or phantom deliveries.
func runModel(t *testing.T, cfgIndex byte, ops []byte) {
	cfg := fuzzConfigs[int(cfgIndex)%len(fuzzConfigs)]
	r := newSimRig(t, "fuzz", cfg, clx.Options{})
	var mu sync.Mutex
	got := make([][]clx.Level, fuzzPins)
	models := make([]modelPin, fuzzPins)
	conns := make([]*clx.InterruptConn, fuzzPins)
	pols := []clx.Polarity{clx.ActiveHigh, clx.ActiveLow, clx.ActiveBoth}
	for i := 0; i+1 < len(ops) && i < 400; i += 2 {
		op, pin := ops[i]%6, int(ops[i+1]%fuzzPins)
		arg := ops[i+1] / fuzzPins
		m := &models[pin]
		switch op {
		case 0, 5: // drive to a level (op 0 toggles, op 5 sets)
			l := 1 - m.level
			if op == 5 {
				l = clx.Level(arg & 1)
			}
			m.setLevel(l)
			r.drive(pin, l)
		case 1: // connect
			if m.connected {
				continue
			}
			pol := pols[int(arg)%3]
			p := pin
			c, err := r.f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: pin, Polarity: pol, ISR: func(ic clx.InterruptContext) bool {
				mu.Lock()
				got[p] = append(got[p], ic.Level)
				mu.Unlock()
				return true
			}})
			if err != nil {
				t.Fatalf("op %d: connect pin %d: %v", i/2, pin, err)
			}
			conns[pin] = c
			*m = modelPin{connected: true, pol: pol, level: m.level, want: m.want,
				emulated: pol == clx.ActiveBoth && cfg.EmulateBothEdges, hwPol: clx.Low}
			m.settleEmulated()
			r.idle()
		case 2: // close
			if !m.connected {
				continue
			}
			must(t, conns[pin].Close())
			m.connected, m.latched = false, false
			r.idle()
		case 3: // mask
			if !m.connected {
				continue
			}
			must(t, conns[pin].Mask(bg()))
			m.masked = true
			r.idle()
		case 4: // unmask
			if !m.connected {
				continue
			}
			must(t, conns[pin].Unmask(bg()))
			wasMasked := m.masked
			m.masked = false
			if wasMasked && m.latched {
				m.deliver(m.latchedLevel)
				m.latched = false
			}
			m.settleEmulated()
			r.idle()
		}
		mu.Lock()
		for p := range models {
			if fmt.Sprint(got[p]) != fmt.Sprint(models[p].want) {
				mu.Unlock()
				t.Fatalf("config %d, after op %d (%d on pin %d): pin %d delivered %v, model wants %v",
					int(cfgIndex)%len(fuzzConfigs), i/2, op, pin, p, got[p], models[p].want)
			}
		}
		mu.Unlock()
	}
	if errs, n := r.f.Errors(); n != 0 {
		t.Fatalf("dispatch errors: %v", errs)
	}
}

func FuzzDispatchAgainstModel(f *testing.F) {
	f.Add(byte(0), []byte{1, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 4, 0})
	f.Add(byte(1), []byte{1, 8, 0, 0, 3, 0, 0, 0, 4, 0, 2, 0, 1, 4})
	rng := rand.New(rand.NewSource(1))
	for n := 0; n < 40; n++ {
		ops := make([]byte, 120)
		rng.Read(ops)
		f.Add(byte(n), ops)
	}
	f.Fuzz(func(t *testing.T, cfg byte, ops []byte) {
		runModel(t, cfg, ops)
	})
}
