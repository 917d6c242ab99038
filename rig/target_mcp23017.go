package rig

import (
	"context"
	"fmt"
	"time"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/mcp23017"
	"github.com/gpiohil/gpiohil/controllers/mcp23017/model"
	"github.com/gpiohil/gpiohil/fixtures"
)

// mcpTarget is an MCP23017 I2C expander on the sim tier: the real driver
// under clx, talking over an in-process I2C bus (clocked as the fixture
// says) to the register-accurate model chip, whose pads the harness wires
// to the MCU and whose INTA output is the driver's interrupt line.
type mcpTarget struct {
	padTarget
	chip    *model.Chip
	bus     *model.Bus
	cfg     fixtures.MCP23017Target
	onError func(error)
	fw      *clx.Framework
}

func openMCP23017Target(ctx context.Context, fx *fixtures.Fixture, onError func(error)) (target, error) {
	m := fx.Target.MCP23017
	bus, err := model.NewBus(m.BusHz)
	if err != nil {
		return nil, err
	}
	chip := model.New()
	if err := bus.Attach(m.Address, chip); err != nil {
		return nil, err
	}
	t := &mcpTarget{padTarget: newPadTarget(chip, model.Pins, fx), chip: chip, bus: bus, cfg: m, onError: onError}
	if err := t.start(ctx); err != nil {
		return nil, err
	}
	return t, nil
}

// start puts a new driver for the chip under a new framework.
func (t *mcpTarget) start(ctx context.Context) error {
	drv, err := mcp23017.New(mcp23017.Config{Bus: t.bus, Address: t.cfg.Address, IRQ: t.chip.INTLine(mcp23017.PortA),
		Bank1: t.cfg.Bank1, INTActiveHigh: t.cfg.INT == "active-high", INTOpenDrain: t.cfg.INT == "open-drain"})
	if err != nil {
		return err
	}
	fw, err := clx.New(ctx, drv, clx.Options{OnError: t.onError})
	if err != nil {
		return err
	}
	t.fw = fw
	return nil
}

func (t *mcpTarget) framework() *clx.Framework { return t.fw }

func (t *mcpTarget) pin(l fixtures.Line) (int, error) {
	if l.Name != "" {
		return 0, fmt.Errorf("the MCP23017 has no line named %q (lines are 0-15)", l.Name)
	}
	return l.Offset, nil
}

// clock: the chip keeps no time, so events carry no timestamps.
func (t *mcpTarget) clock() (ControllerClock, bool) { return ControllerClock{}, false }

func (t *mcpTarget) lostEvents() uint64 { return 0 }

func (t *mcpTarget) mergedEdges() uint64 { return t.chip.MergedEdges() }

func (t *mcpTarget) lostEdges() uint64 { return 0 }

func (t *mcpTarget) edgeCountsInexact() string {
	return "the MCP23017 captures only the first change of a port until its status is read; the changes after it are seen only in the level they leave, so an edge can be neither delivered nor counted"
}

// busStats is what the I2C bus carried: transactions, and the time they
// held it (Rig.BusStats).
func (t *mcpTarget) busStats() (uint64, time.Duration) { return t.bus.Stats() }

// removeController unplugs the chip: it leaves the bus (its address goes
// unacknowledged) and powers down (it lets go of its pads). The driver
// finds it gone at its next transaction.
func (t *mcpTarget) removeController(context.Context) error {
	if err := t.bus.Detach(t.cfg.Address); err != nil {
		return err
	}
	t.chip.Reset()
	return nil
}

// removalAnnounced: nothing tells the driver of the unplug; its next
// transaction finds the address unacknowledged.
func (t *mcpTarget) removalAnnounced() bool { return false }

// reinsertController plugs the chip back, at its power-on state, under a
// new driver and framework.
func (t *mcpTarget) reinsertController(ctx context.Context) error {
	t.chip.Reset()
	if err := t.bus.Attach(t.cfg.Address, t.chip); err != nil {
		return err
	}
	return t.start(ctx)
}
