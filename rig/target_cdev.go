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
)

// cdevTarget is a Linux GPIO character device: a real board's, or on the
// QEMU tier a kernel gpio-sim chip the rig creates, whose sysfs wires a
// virtual MCU to the lines.
type cdevTarget struct {
	ctrl    *cdev.Controller
	fw      *clx.Framework
	gpiosim *harness.GPIOSim // nil on hardware
	poll    time.Duration
}

func openCdevTarget(ctx context.Context, fx *fixtures.Fixture, onError func(error)) (target, error) {
	t := &cdevTarget{poll: fx.Harness.Poll}
	chip := fx.Target.Cdev.Chip
	if n := fx.Target.Cdev.GPIOSimLines; n > 0 {
		g, err := harness.NewGPIOSim(chip, n)
		if err != nil {
			return nil, err
		}
		t.gpiosim = g
		chip = g.ChipName()
	}
	ctrl, err := cdev.Open(cdev.Config{Chip: chip, OnError: onError})
	if err != nil {
		t.close()
		return nil, err
	}
	t.ctrl = ctrl
	if t.fw, err = clx.New(ctx, ctrl, clx.Options{OnError: onError}); err != nil {
		t.close()
		return nil, err
	}
	return t, nil
}

func (t *cdevTarget) framework() *clx.Framework { return t.fw }

func (t *cdevTarget) pin(l fixtures.Line) (int, error) {
	if l.Name == "" {
		return l.Offset, nil
	}
	return t.ctrl.LineOffset(l.Name)
}

func (t *cdevTarget) attach(m harness.MCU, wires []Wire) error {
	if t.gpiosim == nil {
		return fmt.Errorf("%w: a virtual MCU on a cdev target needs gpio-sim lines (target.cdev.gpio_sim_lines)", ErrUnsupported)
	}
	t.gpiosim.Attach(m, t.poll)
	for _, w := range wires {
		if err := t.gpiosim.Connect(harness.Wire{Name: w.Name, MCUPin: w.MCUPin, TargetPin: w.TargetPin}); err != nil {
			return err
		}
	}
	return nil
}

// sync waits for two full polls of the gpio-sim lines: the change, and
// the MCU's answer to it.
func (t *cdevTarget) sync(ctx context.Context) error {
	if t.gpiosim == nil {
		return nil
	}
	if err := t.gpiosim.Sync(ctx); err != nil {
		return err
	}
	return t.gpiosim.Sync(ctx)
}

// clock maps kernel CLOCK_MONOTONIC timestamps to host time through the
// offset between the two clocks, read back to back (the closest of a few
// readings; the uncertainty is half that reading's span).
func (t *cdevTarget) clock() (ControllerClock, bool) {
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
	return ControllerClock{ToHost: func(d time.Duration) time.Time { return base.Add(d) }, Name: "kernel CLOCK_MONOTONIC",
		Uncertainty: best / 2}, true
}

// resolution is the gpio-sim harness's poll period on the QEMU tier; on
// a board, copper carries every change as it happens.
func (t *cdevTarget) resolution() time.Duration {
	if t.gpiosim == nil {
		return 0
	}
	return t.gpiosim.Period()
}

// outputTime: the kernel does not timestamp output changes.
func (t *cdevTarget) outputTime(int) (time.Duration, bool) { return 0, false }

func (t *cdevTarget) lostEvents() uint64 { return t.ctrl.Stats().Lost }

func (t *cdevTarget) mergedEdges() uint64 { return t.ctrl.Stats().Merged }

func (t *cdevTarget) lostEdges() uint64 { return t.ctrl.Stats().LostEdges }

// edgeCountsInexact: the kernel names each event's direction by reading
// the line when it handles the interrupt, and interrupts raised before
// the last was handled may coalesce, so fast edges are misread or merged
// before the controller counts anything.
func (t *cdevTarget) edgeCountsInexact() string {
	return "the kernel names each edge event's direction by reading the line when it handles the interrupt, " +
		"and interrupts raised before the last was handled can coalesce: at fast spacings edges are misread or merged before any count sees them"
}

func (t *cdevTarget) close() {
	if t.gpiosim != nil {
		t.gpiosim.Close()
	}
}

// removalUnsupported: the rig has no way to unplug a board's controller,
// and on the QEMU tier removing the gpio-sim chip under open line
// requests is not survivable on the guest's kernel.
func (t *cdevTarget) removalUnsupported() string {
	if t.gpiosim == nil {
		return "the rig cannot unplug a board's GPIO controller"
	}
	return "removing a gpio-sim chip while its lines are requested is unsafe before Linux 6.9, " +
		"which first guards gpiolib's chip pointer against removal; on the guest's 6.1 it corrupted the kernel"
}

// preserveUnsupported: closing a connection releases its line request,
// and what a released line then does is the GPIO chip driver's: Linux
// leaves it undefined, and gpio-sim returns it to its pull (gpio_sim_free).
func (t *cdevTarget) preserveUnsupported() string {
	return "a Linux GPIO line's state once its request is released is the chip driver's (gpio-sim returns it to its pull): the character device cannot preserve an output past its connection"
}
