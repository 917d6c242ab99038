package clx_test

import (
	"context"
	"errors"
	"testing"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/sim"
)

// panicAt is the sim controller with one method that panics.
type panicAt struct {
	*sim.Controller
	method string
}

func (p *panicAt) at(method string) {
	if p.method == method {
		panic("injected panic in " + method)
	}
}

func (p *panicAt) DisconnectIOPins(ctx context.Context, r *clx.IORequest) error {
	p.at("DisconnectIOPins")
	return p.Controller.DisconnectIOPins(ctx, r)
}

func (p *panicAt) DisableInterrupt(ctx context.Context, r *clx.InterruptRequest) error {
	p.at("DisableInterrupt")
	return p.Controller.DisableInterrupt(ctx, r)
}

func (p *panicAt) UnmaskInterrupt(ctx context.Context, r *clx.InterruptRequest) error {
	p.at("UnmaskInterrupt")
	return p.Controller.UnmaskInterrupt(ctx, r)
}

func (p *panicAt) QueryEnabledInterrupts(ctx context.Context, bank int) (uint64, error) {
	p.at("QueryEnabledInterrupts")
	return p.Controller.QueryEnabledInterrupts(ctx, bank)
}

func (p *panicAt) ReconfigureInterrupt(ctx context.Context, r *clx.InterruptRequest) error {
	p.at("ReconfigureInterrupt")
	return p.Controller.ReconfigureInterrupt(ctx, r)
}

func (p *panicAt) SaveBankContext(ctx context.Context, bank int) error {
	p.at("SaveBankContext")
	return p.Controller.SaveBankContext(ctx, bank)
}

func (p *panicAt) RestoreBankContext(ctx context.Context, bank int) error {
	p.at("RestoreBankContext")
	return p.Controller.RestoreBankContext(ctx, bank)
}

func (p *panicAt) ControllerSpecificFunction(ctx context.Context, in []byte) ([]byte, error) {
	p.at("ControllerSpecificFunction")
	return p.Controller.ControllerSpecificFunction(ctx, in)
}

// Every capability's calls are guarded: a panic in any of them comes back
// as a *DriverPanicError naming the method — returned by the call that
// made it, or reported when no caller waits — and the framework goes on.
func TestEveryCapabilityIsGuarded(t *testing.T) {
	isr := func(clx.InterruptContext) bool { return true }
	for _, c := range []struct {
		method  string
		cfg     sim.Config
		provoke func(t *testing.T, f *clx.Framework, s *sim.Controller) error
	}{
		{"DisconnectIOPins", sim.Config{}, func(t *testing.T, f *clx.Framework, s *sim.Controller) error {
			conn, err := f.ConnectIO(bg(), clx.IOConfig{Pins: []int{1}})
			must(t, err)
			return conn.Close()
		}},
		{"DisableInterrupt", sim.Config{}, func(t *testing.T, f *clx.Framework, s *sim.Controller) error {
			ic, err := f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 1, ISR: isr})
			must(t, err)
			must(t, ic.Close())
			return nil // reported
		}},
		{"UnmaskInterrupt", sim.Config{}, func(t *testing.T, f *clx.Framework, s *sim.Controller) error {
			ic, err := f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 1, ISR: isr})
			must(t, err)
			must(t, ic.Mask(bg()))
			return ic.Unmask(bg())
		}},
		{"QueryEnabledInterrupts", sim.Config{}, func(t *testing.T, f *clx.Framework, s *sim.Controller) error {
			_, err := f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 1, ISR: isr})
			must(t, err)
			return nil // reported
		}},
		{"ReconfigureInterrupt", sim.Config{EmulateBothEdges: true}, func(t *testing.T, f *clx.Framework, s *sim.Controller) error {
			_, err := f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 1, Polarity: clx.ActiveBoth, ISR: isr})
			must(t, err)
			must(t, s.DrivePad(1, clx.High))
			must(t, s.DrivePad(1, clx.Low))
			return nil // reported by dispatch
		}},
		{"SaveBankContext", sim.Config{}, func(t *testing.T, f *clx.Framework, s *sim.Controller) error {
			return f.SetBankPower(bg(), 0, false)
		}},
		{"RestoreBankContext", sim.Config{Pins: 16, PinsPerBank: 8}, func(t *testing.T, f *clx.Framework, s *sim.Controller) error {
			must(t, f.SetBankPower(bg(), 1, false))
			return f.SetBankPower(bg(), 1, true)
		}},
		{"ControllerSpecificFunction", sim.Config{}, func(t *testing.T, f *clx.Framework, s *sim.Controller) error {
			_, err := f.ControllerSpecificFunction(bg(), []byte("identify"))
			return err
		}},
	} {
		t.Run(c.method, func(t *testing.T) {
			s, err := sim.New(c.cfg)
			must(t, err)
			f, err := clx.New(bg(), &panicAt{Controller: s, method: c.method}, clx.Options{})
			must(t, err)
			err = c.provoke(t, f, s)
			if err == nil {
				recent, _ := f.Errors()
				for _, e := range recent {
					var dp *clx.DriverPanicError
					if errors.As(e, &dp) && dp.Method == c.method {
						err = e
					}
				}
			}
			var dp *clx.DriverPanicError
			if !errors.As(err, &dp) || dp.Method != c.method || !errors.Is(err, clx.ErrControllerDriver) {
				t.Fatalf("a panic in %s: got %v, want a DriverPanicError naming it", c.method, err)
			}
			// The framework goes on: an output still reaches its pad.
			out, err := f.ConnectIO(bg(), clx.IOConfig{Pins: []int{5}, Direction: clx.Output, Initial: []byte{1}})
			must(t, err)
			if l, _, _ := s.Pad(5); l != clx.High {
				t.Error("an output after the panic did not reach its pad")
			}
			_ = out.Close()
			_ = f.Close(bg())
		})
	}
}
