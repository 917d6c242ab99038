package rig

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gpiohil/gpiohil/fixtures"
	"github.com/gpiohil/gpiohil/rig/mcu"
	"github.com/gpiohil/gpiohil/rig/picoemu"
	"github.com/gpiohil/gpiohil/rig/virtual"
)

// mcuSide is how a rig reaches its companion MCU: a client, the mapping
// of the MCU's clock to host time, and what to close. One implementation
// per fixtures' mcu.kind.
type mcuSide interface {
	client() *mcu.Client
	// clock maps the MCU's ticks to host time and names how.
	clock(ctx context.Context) (mcu.ClockModel, string, error)
	// unboundedTime says why the MCU's edge times cannot bound the
	// target's real-time behaviour, or "" when they can.
	unboundedTime() string
	close() error
}

// mcuOpener opens the MCU a fixture describes; a virtual MCU is wired to
// the target's lines through t.
type mcuOpener func(ctx context.Context, fx *fixtures.Fixture, t target, wires []Wire) (mcuSide, error)

// mcuKinds maps fixtures' mcu.kind to its opener.
var mcuKinds = map[string]mcuOpener{
	"virtual":  openVirtualMCU,
	"pico-emu": openEmulatedPico,
	"serial":   openSerialMCU,
}

// virtualMCU is the firmware core on a simulated board in this process,
// served on a pseudo-terminal and reached through the real serial path.
type virtualMCU struct {
	m *virtual.MCU
	c *mcu.Client
}

func openVirtualMCU(ctx context.Context, fx *fixtures.Fixture, t target, wires []Wire) (mcuSide, error) {
	m, err := virtual.New(virtual.Config{Name: "virtual", Pins: fx.MCU.Pins})
	if err != nil {
		return nil, err
	}
	if err := t.attach(m, wires); err != nil {
		m.Close()
		return nil, err
	}
	path, err := m.Start(context.Background())
	if err != nil {
		m.Close()
		return nil, err
	}
	c, err := mcu.Open(ctx, path, mcu.Options{Baud: fx.MCU.Baud})
	if err != nil {
		m.Close()
		return nil, err
	}
	return &virtualMCU{m: m, c: c}, nil
}

func (v *virtualMCU) client() *mcu.Client { return v.c }

// clock is exact: the virtual MCU's tick counter is this process's
// monotonic clock.
func (v *virtualMCU) clock(ctx context.Context) (mcu.ClockModel, string, error) {
	return mcu.ClockModel{TickHz: v.c.Identify().TickHz, RefHost: v.m.Epoch()}, "exact (virtual MCU in this process)", nil
}

func (v *virtualMCU) unboundedTime() string { return "" }

func (v *virtualMCU) close() error {
	err := v.c.Close()
	v.m.Close()
	return err
}

// emulatedPico is the Pico firmware's UF2 on an emulated RP2040, its USB
// port on a pseudo-terminal reached through the real serial path, its
// pins wired to the target by this process.
type emulatedPico struct {
	m *picoemu.MCU
	c *mcu.Client
}

func openEmulatedPico(ctx context.Context, fx *fixtures.Fixture, t target, wires []Wire) (mcuSide, error) {
	m, err := picoemu.Start(ctx, picoemu.Config{Firmware: fx.MCU.Firmware, Pins: fx.MCU.Pins})
	if err != nil {
		return nil, err
	}
	if err := t.attach(m, wires); err != nil {
		m.Close()
		return nil, err
	}
	c, err := mcu.Open(ctx, m.Path(), mcu.Options{Baud: fx.MCU.Baud, MinClockRate: picoemu.MinClockRate})
	if err != nil {
		m.Close()
		return nil, err
	}
	return &emulatedPico{m: m, c: c}, nil
}

func (e *emulatedPico) client() *mcu.Client { return e.c }

// clock is fitted from pings, as for a board: the emulated timer runs at
// about half of real time, at a rate that varies with the machine's load,
// so mapping its ticks to host time is approximate.
func (e *emulatedPico) clock(ctx context.Context) (mcu.ClockModel, string, error) {
	m, err := e.c.AlignClock(ctx, 64, 10*time.Millisecond)
	return m, "min-RTT ping fit to the emulated RP2040's timer (emulated time, about half of real time)", err
}

// unboundedTime: measured 10–35 ms beyond the clock fit's stated
// uncertainty under load, and the emulator's pin changes reach the target
// when the host reads its report.
func (e *emulatedPico) unboundedTime() string {
	return "the emulated RP2040's clock runs at a load-dependent fraction of real time and its pin changes reach the " +
		"target when the host reads the emulator's report: measured 10-35 ms beyond the clock fit's stated uncertainty " +
		"under load, so there is no bound to hold real-time behaviour to"
}

func (e *emulatedPico) close() error {
	err := e.c.Close()
	e.m.Close()
	return err
}

// openSerialMCU opens a board on a serial port (a Pico on USB), holding
// the rig lock of its port.
func openSerialMCU(ctx context.Context, fx *fixtures.Fixture, t target, wires []Wire) (mcuSide, error) {
	return OpenMCU(ctx, MCUSelector{Port: fx.MCU.Port, USB: mcu.USBID(fx.MCU.USB)}, "gpiohil rig "+fx.Name, mcu.Options{Baud: fx.MCU.Baud})
}

// MCUSelector names a companion MCU on a serial port: by path, or by USB
// identity.
type MCUSelector struct {
	Port string
	USB  mcu.USBID
}

// ErrNoMCU means an MCUSelector names no port.
var ErrNoMCU = errors.New("rig: no MCU given: want a port path or a USB identity")

// MCUPort is a client of an MCU on a serial port that holds the port's
// rig lock, so that no other gpiohil process disturbs the rig meanwhile.
type MCUPort struct {
	*mcu.Client
	lock *Lock
}

// OpenMCU finds the port sel names, takes its rig lock (failing with
// ErrBusy, naming the holder, if another process has it) and opens the
// client. purpose says who holds the lock. Close releases both.
func OpenMCU(ctx context.Context, sel MCUSelector, purpose string, opts mcu.Options) (*MCUPort, error) {
	path := sel.Port
	switch {
	case path != "" && sel.USB.VID != "":
		return nil, fmt.Errorf("rig: give a port path or a USB identity, not both (%s, %s)", path, sel.USB)
	case path == "" && sel.USB.VID == "":
		return nil, ErrNoMCU
	case path == "":
		var err error
		if path, err = mcu.FindPort(sel.USB); err != nil {
			return nil, err
		}
	}
	lock, err := Acquire(path, purpose)
	if err != nil {
		return nil, err
	}
	c, err := mcu.Open(ctx, path, opts)
	if err != nil {
		lock.Release()
		return nil, err
	}
	return &MCUPort{Client: c, lock: lock}, nil
}

// Close closes the client and releases the rig lock.
func (p *MCUPort) Close() error {
	err := p.Client.Close()
	if e := p.lock.Release(); err == nil {
		err = e
	}
	return err
}

func (p *MCUPort) client() *mcu.Client { return p.Client }

// clock is estimated from pings (mcu.AlignClock), with the uncertainty
// the model states.
func (p *MCUPort) clock(ctx context.Context) (mcu.ClockModel, string, error) {
	m, err := p.AlignClock(ctx, 64, 10*time.Millisecond)
	return m, "min-RTT ping alignment", err
}

func (p *MCUPort) unboundedTime() string { return "" }

func (p *MCUPort) close() error { return p.Close() }
