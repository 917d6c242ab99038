//go:build tinygo && rp2040

// Command pico is the companion-MCU firmware for a Raspberry Pi Pico
// (RP2040): the portable core on USB CDC serial, GPIO interrupts on
// GP0–GP22, and the RP2040's 1 MHz 64-bit timer as the tick.
package main

import (
	"device/rp"
	"machine"

	"github.com/gpiohil/gpiohil/rig/firmware"
	"github.com/gpiohil/gpiohil/rig/proto"
)

// pins are GP0–GP22; GP23–GP25 serve the Pico's power and LED.
const pins = 23

type board struct {
	handler firmware.EdgeFunc
	isr     func(machine.Pin) // allocated once: no closure in the interrupt path
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

func (b *board) SetPin(pin int, drive proto.Drive, pull proto.Pull) {
	p := machine.Pin(pin)
	switch drive {
	case proto.DriveLow, proto.DriveHigh:
		p.Set(drive == proto.DriveHigh) // the level first, then the output enable: no glitch
		p.Configure(machine.PinConfig{Mode: machine.PinOutput})
	default:
		mode := machine.PinInput
		switch pull {
		case proto.PullUp:
			mode = machine.PinInputPullup
		case proto.PullDown:
			mode = machine.PinInputPulldown
		}
		p.Configure(machine.PinConfig{Mode: mode})
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

func (b *board) ReadSerial(p []byte) int {
	n := 0
	for n < len(p) && machine.Serial.Buffered() > 0 {
		c, err := machine.Serial.ReadByte()
		if err != nil {
			break
		}
		p[n] = c
		n++
	}
	return n
}

func (b *board) WriteSerial(p []byte) { machine.Serial.Write(p) }

func main() {
	b := &board{}
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
