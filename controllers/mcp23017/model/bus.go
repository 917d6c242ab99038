package model

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gpiohil/gpiohil/controllers/mcp23017"
	"github.com/gpiohil/gpiohil/controllers/sim"
)

// Device is what answers transactions on a Bus.
type Device interface {
	Transfer(w, r []byte) error
}

// Bus is an in-process I2C bus. Each transaction holds the bus, and its
// caller, for the time its bits take at the bus's clock rate; one
// transaction runs at a time, as on a real bus.
type Bus struct {
	rate    int // SCL, Hz
	mu      sync.Mutex
	devices map[uint16]Device
	// Transactions counted, and the time they held the bus.
	count atomic.Uint64
	busy  atomic.Int64
}

// NewBus returns a bus clocked at rate Hz (100 kHz standard mode, 400 kHz
// fast mode, 1 MHz fast mode plus).
func NewBus(rate int) (*Bus, error) {
	if rate < 1000 || rate > 3_400_000 {
		return nil, fmt.Errorf("i2c: clock rate %d Hz: want 1 kHz..3.4 MHz", rate)
	}
	return &Bus{rate: rate, devices: map[uint16]Device{}}, nil
}

// Attach puts a device on the bus at a 7-bit address.
func (b *Bus) Attach(addr uint16, d Device) error {
	if addr > 0x7f {
		return fmt.Errorf("i2c: address %#x is not a 7-bit address", addr)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.devices[addr] != nil {
		return fmt.Errorf("i2c: two devices at address %#x", addr)
	}
	b.devices[addr] = d
	return nil
}

// Detach takes the device at addr off the bus, as unplugging it does:
// from then on its address goes unacknowledged.
func (b *Bus) Detach(addr uint16) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.devices[addr] == nil {
		return fmt.Errorf("i2c: no device at address %#x to detach", addr)
	}
	delete(b.devices, addr)
	return nil
}

// TxTime is how long a transaction writing nw bytes and then reading nr
// bytes holds the bus: a start bit, the address byte, the written bytes,
// a repeated start and the address byte again before the read, the read
// bytes and a stop bit; nine clocks a byte (eight bits and the
// acknowledge).
func (b *Bus) TxTime(nw, nr int) time.Duration {
	bits := 1 + 9 + 9*nw + 1
	if nr > 0 {
		if nw > 0 {
			bits += 1 + 9
		}
		bits += 9 * nr
	}
	return time.Duration(bits) * time.Second / time.Duration(b.rate)
}

// Tx writes w to the device at addr and then reads len(r) bytes from it.
func (b *Bus) Tx(addr uint16, w, r []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	d := b.devices[addr]
	if d == nil {
		sim.Hold(b.TxTime(0, 0))
		return fmt.Errorf("i2c: address %#x: %w", addr, mcp23017.ErrNoAck)
	}
	t := b.TxTime(len(w), len(r))
	sim.Hold(t)
	b.count.Add(1)
	b.busy.Add(int64(t))
	return d.Transfer(w, r)
}

// Stats reports the transactions the bus carried and the time they held
// it.
func (b *Bus) Stats() (transactions uint64, busy time.Duration) {
	return b.count.Load(), time.Duration(b.busy.Load())
}
