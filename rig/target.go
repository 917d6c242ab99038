package rig

import (
	"context"
	"errors"
	"time"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/fixtures"
	"github.com/gpiohil/gpiohil/rig/harness"
)

// ErrUnsupported means the fixture asks for something its tier cannot
// assemble.
var ErrUnsupported = errors.New("rig: not supported")

// target is the board under test as one tier reaches it: a controller
// driver under clx, and whatever carries levels between its lines and an
// in-process MCU. One implementation per kind of controller; a new tier
// is a new file and a line in targetKinds.
type target interface {
	// framework is the target's controller under clx.
	framework() *clx.Framework
	// pin resolves a fixture's line to a controller-relative pin.
	pin(l fixtures.Line) (int, error)
	// attach wires an MCU whose pins this process carries (virtual or
	// emulated) to the target's lines, or fails with ErrUnsupported where
	// the tier has no such wiring.
	attach(m harness.MCU, wires []Wire) error
	// sync waits until a level change has crossed the wires (a polled
	// harness senses it on its next poll); nil where wires are immediate.
	sync(ctx context.Context) error
	// clock maps the controller's event timestamps to host time, or
	// reports false when the controller has none.
	clock() (ControllerClock, bool)
	// resolution is how coarsely the wires carry a target output to the
	// MCU: 0 where a change is carried as it happens, a polling
	// harness's period otherwise.
	resolution() time.Duration
	// outputTime is when, on the controller's clock, what the controller
	// drives on pin last changed, where the controller says.
	outputTime(pin int) (time.Duration, bool)
	// lostEvents counts edge events the controller lost.
	lostEvents() uint64
	// mergedEdges counts qualifying edges that found their pin's status
	// latched; lostEdges the qualifying edges among the lost events.
	mergedEdges() uint64
	lostEdges() uint64
	// edgeCountsInexact says why those counts cannot account for every
	// edge sent, or "".
	edgeCountsInexact() string
	// close releases what the target holds beyond the framework.
	close()
}

// ControllerClock maps a target controller's event timestamps to host
// time.
type ControllerClock struct {
	ToHost func(time.Duration) time.Time
	Name   string
	// Uncertainty bounds the error of ToHost's offset.
	Uncertainty time.Duration
}

// targetOpener opens the target a fixture describes; onError receives
// the errors its driver finds outside any call.
type targetOpener func(ctx context.Context, fx *fixtures.Fixture, onError func(error)) (target, error)

// targetKinds maps fixtures' target.controller to the tier's target.
var targetKinds = map[string]targetOpener{
	"sim":      openSimTarget,
	"cdev":     openCdevTarget,
	"mcp23017": openMCP23017Target,
}

// removalRefuser is a target that is no controllerRemover and says why.
type removalRefuser interface {
	removalUnsupported() string
}

// controllerRemover is a target whose controller the rig can take away,
// as an unplugged board goes, and bring back under a new framework (which
// framework then returns).
type controllerRemover interface {
	removeController(ctx context.Context) error
	reinsertController(ctx context.Context) error
	// removalAnnounced: the controller tells the framework of its removal
	// itself; otherwise the framework finds it at its next access.
	removalAnnounced() bool
}
