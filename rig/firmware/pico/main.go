//go:build tinygo && rp2040

// Command pico is the companion-MCU firmware for a Raspberry Pi Pico
// (RP2040): the portable core on USB CDC serial, GPIO interrupts on
// GP0–GP22, and the RP2040's 1 MHz 64-bit timer as the tick.
package main

import (
	"device/rp"
	"io"
	"machine"
	"runtime/volatile"
	"unsafe"

	"github.com/gpiohil/gpiohil/rig/firmware"
	"github.com/gpiohil/gpiohil/rig/proto"
)

// pins are GP0–GP22; GP23–GP25 serve the Pico's power and LED.
const pins = 23

type board struct {
	handler firmware.EdgeFunc
	isr     func(machine.Pin) // allocated once: no closure in the interrupt path
	serial  io.Reader         // machine.Serial, the USB CDC port
}

// ticks reads the free-running 1 MHz timer without latching: the high
// word is read around the low one until it is stable.
func ticks() uint64 {
	for {
		hi := rp.TIMER.TIMERAWH.Get()
		lo := rp.TIMER.TIMERAWL.Get()
		if rp.TIMER.TIMERAWH.Get() == hi {
			return uint64(hi)<<32 | uint64(lo)
		}
	}
}

// padCtrl is pin's pad control register (PADS_BANK0.GPIOn) and ioCtrl its
// function select (IO_BANK0.GPIOn_CTRL): one register per pin, in order.
func padCtrl(pin int) *volatile.Register32 {
	return (*volatile.Register32)(unsafe.Add(unsafe.Pointer(&rp.PADS_BANK0.GPIO0), 4*pin))
}

func ioCtrl(pin int) *volatile.Register32 {
	return (*volatile.Register32)(unsafe.Add(unsafe.Pointer(&rp.IO_BANK0.GPIO0_CTRL), 8*pin))
}

const padBits = rp.PADS_BANK0_GPIO0_IE | rp.PADS_BANK0_GPIO0_OD | rp.PADS_BANK0_GPIO0_PUE | rp.PADS_BANK0_GPIO0_PDE

// SetPin writes the SIO and pad registers itself, in an order that never
// shows the wire a level it was not asked for (TinyGo's Pin.Configure
// clears the output level and disables the driver first):
//   - to drive: the output level, the pin to SIO, the driver on, and only
//     then the pulls off (the line is never left floating);
//   - to release: the pull first (invisible while driving), then the
//     driver off, so a pin released to the level its pull gives shows no
//     edge.
func (b *board) SetPin(pin int, drive proto.Drive, pull proto.Pull) {
	mask := uint32(1) << pin
	pad := padCtrl(pin)
	switch drive {
	case proto.DriveLow, proto.DriveHigh:
		if drive == proto.DriveHigh {
			rp.SIO.GPIO_OUT_SET.Set(mask)
		} else {
			rp.SIO.GPIO_OUT_CLR.Set(mask)
		}
		ioCtrl(pin).Set(rp.IO_BANK0_GPIO0_CTRL_FUNCSEL_SIO_0)
		rp.SIO.GPIO_OE_SET.Set(mask)
		pad.ReplaceBits(rp.PADS_BANK0_GPIO0_IE, padBits, 0)
	default:
		bits := uint32(rp.PADS_BANK0_GPIO0_IE)
		switch pull {
		case proto.PullUp:
			bits |= rp.PADS_BANK0_GPIO0_PUE
		case proto.PullDown:
			bits |= rp.PADS_BANK0_GPIO0_PDE
		}
		pad.ReplaceBits(bits, padBits, 0)
		ioCtrl(pin).Set(rp.IO_BANK0_GPIO0_CTRL_FUNCSEL_SIO_0)
		rp.SIO.GPIO_OE_CLR.Set(mask)
	}
}

func (b *board) ReadPin(pin int) bool { return machine.Pin(pin).Get() }

func (b *board) ArmEdges(pin int, on bool) {
	p := machine.Pin(pin)
	if on {
		p.SetInterrupt(machine.PinRising|machine.PinFalling, b.isr)
	} else {
		p.SetInterrupt(0, nil)
	}
}

func (b *board) SetEdgeHandler(f firmware.EdgeFunc) { b.handler = f }
func (b *board) Ticks() uint64                      { return ticks() }
func (b *board) TickHz() uint32                     { return 1_000_000 }

// ReadSerial copies what the USB port has received in one go: TinyGo's
// CDC receive ring (512 bytes) drops what does not fit, so it must be
// drained faster than full-speed USB fills it.
func (b *board) ReadSerial(p []byte) int {
	n, _ := b.serial.Read(p)
	return n
}

func (b *board) WriteSerial(p []byte) { machine.Serial.Write(p) }

func main() {
	// On the Pico machine.Serial is TinyGo's USB CDC port, which reads in
	// bulk.
	serial, ok := machine.Serial.(io.Reader)
	if !ok {
		panic("machine.Serial cannot read in bulk")
	}
	b := &board{serial: serial}
	b.isr = func(p machine.Pin) {
		t := ticks()
		b.handler(int(p), p.Get(), t)
	}
	core := firmware.New(b, firmware.Config{Name: "pico", Pins: pins,
		Caps: proto.CapHiZ | proto.CapPullUp | proto.CapPullDown})
	for {
		core.Poll()
	}
}
