//go:build linux

package rig

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/cdev"
	"github.com/gpiohil/gpiohil/fixtures"
	"github.com/gpiohil/gpiohil/rig/harness"
	"github.com/gpiohil/gpiohil/rig/virtual"
)

// cdevTarget is the Linux character-device side of a rig.
type cdevTarget struct {
	ctrl    *cdev.Controller
	gpiosim *harness.GPIOSim
}

func (r *Rig) openCdev(ctx context.Context, fx *fixtures.Fixture) error {
	t := &cdevTarget{}
	r.cdev = t
	chip := fx.Target.Cdev.Chip
	if n := fx.Target.Cdev.GPIOSimLines; n > 0 {
		g, err := harness.NewGPIOSim(chip, n)
		if err != nil {
			return err
		}
		t.gpiosim = g
		chip = g.ChipName()
	}
	ctrl, err := cdev.Open(cdev.Config{Chip: chip, OnError: r.driverError})
	if err != nil {
		return err
	}
	t.ctrl = ctrl
	if r.Framework, err = clx.New(ctx, ctrl, clx.Options{OnError: r.driverError}); err != nil {
		return err
	}
	return nil
}

func (r *Rig) cdevLine(l fixtures.Line) (int, error) {
	if l.Name == "" {
		return l.Offset, nil
	}
	return r.cdev.ctrl.LineOffset(l.Name)
}

// attachVirtual wires a virtual MCU to a gpio-sim chip's lines.
func (r *Rig) attachVirtualCdev(v *virtual.MCU) error {
	g := r.cdev.gpiosim
	if g == nil {
		return fmt.Errorf("%w: a virtual MCU on a cdev target needs gpio-sim lines (target.cdev.gpio_sim_lines)", ErrUnsupported)
	}
	g.Attach(v, r.Fixture.Harness.Poll)
	for _, w := range r.Wires {
		if err := g.Connect(harness.Wire{Name: w.Name, MCUPin: w.MCUPin, TargetPin: w.TargetPin}); err != nil {
			return err
		}
	}
	return nil
}

func (r *Rig) closeCdev() {
	if r.cdev != nil && r.cdev.gpiosim != nil {
		r.cdev.gpiosim.Close()
	}
}

func (r *Rig) cdevLost() uint64 {
	if r.cdev == nil || r.cdev.ctrl == nil {
		return 0
	}
	return r.cdev.ctrl.Stats().Lost
}

func (r *Rig) syncCdev(ctx context.Context) error {
	if r.cdev == nil || r.cdev.gpiosim == nil {
		return nil
	}
	return r.cdev.gpiosim.Sync(ctx)
}

// cdevClock maps kernel CLOCK_MONOTONIC timestamps to host time through
// the offset between the two clocks, read back to back (the smallest of a
// few readings).
func (r *Rig) cdevClock() (func(time.Duration) time.Time, string, bool) {
	if r.cdev == nil {
		return nil, "", false
	}
	var best time.Duration
	var base time.Time
	for i := 0; i < 16; i++ {
		var ts unix.Timespec
		before := time.Now()
		unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
		after := time.Now()
		if d := after.Sub(before); i == 0 || d < best {
			best = d
			base = before.Add(d / 2).Add(-time.Duration(ts.Nano()))
		}
	}
	return func(d time.Duration) time.Time { return base.Add(d) }, "kernel CLOCK_MONOTONIC", true
}
