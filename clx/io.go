package clx

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/bits"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// IOConfig is an I/O resource: an ordered list of pins opened together.
// Bit i of every read or write buffer is the i-th pin of Pins, least
// significant bit first.
type IOConfig struct {
	Pins        []int // controller-relative, in connection order
	Direction   Direction
	Pull        Pull
	Drive       Drive
	Debounce    time.Duration
	Restriction Restriction
	// Shared opens the pins read-only, alongside other shared readers and
	// interrupt connections. Only for input.
	Shared bool
	// Initial holds the first output levels (bit i = Pins[i]); shorter
	// than needed means low (inactive, when ActiveLow).
	Initial []byte
	// ActiveLow makes every level the connection reads and writes,
	// Initial included, logical: 1 is the line low, 0 the line high.
	ActiveLow bool
	// Name names the holder in sharing errors; default "io#N", N the
	// connection's number among those the framework made (I/O and
	// interrupt alike, from 1).
	Name string
}

// IOConn is a client's connection to an I/O resource. Its methods are safe
// for concurrent use.
type IOConn struct {
	f       *Framework
	name    string
	pins    []int
	dir     Direction
	restr   Restriction
	shared  bool
	invert  byte // 0xff when active-low: logical level = physical ^ invert
	nbytes  int
	groups  []ioGroup
	closeMu sync.Mutex // serializes Close
	// latch holds the physical output levels last written, bit i of word
	// i/64 for the i-th pin; read without a lock. Its writers are
	// serialised by the bank lock when the connection lies in one bank
	// that shares its registers with interrupts, by mu otherwise
	// (writeMu).
	latch   []atomic.Uint64
	mu      sync.Mutex
	writeMu bool
	closed  atomic.Bool
}

// ioGroup is the part of a connection in one bank.
type ioGroup struct {
	b    *bank
	pins []int // bank indexes, connection order
	pos  []int // bit position in the connection's buffer
	mask uint64
}

// ConnectIO opens an I/O connection.
func (f *Framework) ConnectIO(ctx context.Context, cfg IOConfig) (*IOConn, error) {
	const op = "connect-io"
	if f.closed.Load() {
		return nil, pinErr(op, -1, -1, ErrClosed)
	}
	if !f.caps.hasIO {
		return nil, pinErr(op, -1, -1, fmt.Errorf("controller has no I/O support: %w", ErrNotSupported))
	}
	bad := func(pin int, why string, kind error) error {
		b := -1
		if pin >= 0 && pin < f.info.TotalPins {
			b = pin / f.info.PinsPerBank
		}
		return &PinError{Op: op, Pin: pin, Bank: b, Err: fmt.Errorf("%s: %w", why, kind)}
	}
	switch {
	case len(cfg.Pins) == 0:
		return nil, bad(-1, "no pins", ErrInvalidArgument)
	case cfg.Direction > Output:
		return nil, bad(-1, "unknown direction "+cfg.Direction.String(), ErrInvalidArgument)
	case cfg.Restriction > RestrictNoneAndPreserve:
		return nil, bad(-1, "unknown restriction "+cfg.Restriction.String(), ErrInvalidArgument)
	case cfg.Direction == Output && cfg.Restriction == RestrictInput:
		return nil, bad(-1, "output on an input-only resource", ErrOperationDenied)
	case cfg.Direction == Input && cfg.Restriction == RestrictOutput:
		return nil, bad(-1, "input on an output-only resource", ErrOperationDenied)
	case cfg.Shared && cfg.Direction != Input:
		return nil, bad(-1, "shared connections are read-only", ErrInvalidArgument)
	case cfg.Pull > PullDown:
		return nil, bad(-1, "unknown pull "+cfg.Pull.String(), ErrInvalidArgument)
	case cfg.Drive > DriveOpenSource:
		return nil, bad(-1, "unknown drive "+cfg.Drive.String(), ErrInvalidArgument)
	case cfg.Debounce < 0:
		return nil, bad(-1, "negative debounce "+cfg.Debounce.String(), ErrInvalidArgument)
	}
	masks := f.info.Flags&IOAsMasks != 0
	if cfg.Direction == Output && !(masks && f.caps.writeMask != nil || !masks && f.caps.writePins != nil) {
		return nil, bad(-1, "controller cannot write pins", ErrNotSupported)
	}
	if cfg.Direction == Input && !(masks && f.caps.readMask != nil || !masks && f.caps.readPins != nil) {
		return nil, bad(-1, "controller cannot read pins", ErrNotSupported)
	}
	seen := make(map[int]bool, len(cfg.Pins))
	c := &IOConn{f: f, pins: append([]int(nil), cfg.Pins...), dir: cfg.Direction, restr: cfg.Restriction,
		shared: cfg.Shared, nbytes: (len(cfg.Pins) + 7) / 8}
	if cfg.ActiveLow {
		c.invert = 0xff
	}
	byBank := map[int]int{}
	for pos, pin := range cfg.Pins {
		if err := f.checkPin(op, pin); err != nil {
			return nil, err
		}
		if seen[pin] {
			return nil, bad(pin, "pin listed twice", ErrInvalidArgument)
		}
		seen[pin] = true
		b, i := f.locate(pin)
		g, ok := byBank[b.id]
		if !ok {
			g = len(c.groups)
			byBank[b.id] = g
			c.groups = append(c.groups, ioGroup{b: b})
		}
		c.groups[g].pins = append(c.groups[g].pins, i)
		c.groups[g].pos = append(c.groups[g].pos, pos)
		c.groups[g].mask |= 1 << i
	}
	if cfg.Direction == Output {
		c.latch = make([]atomic.Uint64, (len(c.pins)+63)/64)
		for pos := range c.pins {
			if (pos/8 < len(cfg.Initial) && cfg.Initial[pos/8]>>(pos%8)&1 != 0) != (c.invert != 0) {
				c.latch[pos/64].Or(1 << (pos % 64))
			}
		}
		c.writeMu = len(c.groups) > 1 || f.info.Flags&IndependentIO != 0
	}

	f.mu.Lock()
	if f.closing {
		f.mu.Unlock()
		return nil, pinErr(op, -1, -1, ErrClosed)
	}
	// Checked under f.mu: a removal found from here on fails the new
	// connection with the others (failAllGone takes f.mu).
	if err := f.goneErr(op, -1, -1); err != nil {
		f.mu.Unlock()
		return nil, err
	}
	// Sharing rules, for every pin before touching any.
	for _, g := range c.groups {
		b := g.b
		for _, i := range g.pins {
			pin := b.id*f.info.PinsPerBank + i
			holder := ""
			switch {
			case b.ioHolder[i] != nil:
				holder = b.ioHolder[i].name
			case !cfg.Shared && b.ioShared[i] > 0:
				holder = b.ioSharedName[i]
			case !cfg.Shared && b.intrHolders[i] > 0:
				holder = b.interruptHolderName(i)
			}
			if holder != "" {
				f.mu.Unlock()
				return nil, &PinError{Op: op, Pin: pin, Bank: b.id, Holder: holder, Err: ErrSharingViolation}
			}
		}
	}
	f.nextID++
	c.name = cfg.Name
	if c.name == "" {
		c.name = "io#" + strconv.Itoa(f.nextID)
	}
	// Configure the pins nothing has configured yet, one bank per call.
	var done []*IORequest
	for _, g := range c.groups {
		b := g.b
		r := &IORequest{Bank: b.id, Direction: cfg.Direction, Pull: cfg.Pull, Drive: cfg.Drive, Debounce: cfg.Debounce}
		for k, i := range g.pins {
			if b.ioConfigured[i] || b.intrHolders[i] > 0 {
				continue
			}
			if cfg.Direction == Output && c.latched(g.pos[k]) {
				r.Initial |= 1 << len(r.Pins)
			}
			r.Pins = append(r.Pins, i)
		}
		if len(r.Pins) == 0 {
			continue
		}
		b.lock()
		err := f.caps.ioConnect.ConnectIOPins(ctx, r)
		b.mu.Unlock()
		if err != nil {
			for _, d := range done {
				db := f.banks[d.Bank]
				db.lock()
				_ = f.caps.ioDisconnect.DisconnectIOPins(ctx, d)
				db.mu.Unlock()
				for _, i := range d.Pins {
					db.ioConfigured[i] = false
				}
			}
			f.mu.Unlock()
			return nil, driverErr(op, b.id*f.info.PinsPerBank+r.Pins[0], b.id, err)
		}
		for _, i := range r.Pins {
			b.ioConfigured[i] = true
		}
		done = append(done, r)
	}
	for _, g := range c.groups {
		for _, i := range g.pins {
			if cfg.Shared {
				g.b.ioShared[i]++
				g.b.ioSharedName[i] = c.name
			} else {
				g.b.ioHolder[i] = c
			}
		}
	}
	f.conns[c] = struct{}{}
	f.mu.Unlock()
	for _, g := range c.groups {
		if g.b.pending.Load() {
			g.b.kick()
		}
	}
	return c, nil
}

// interruptHolderName names one interrupt holder of bank index i; f.mu held.
func (b *bank) interruptHolderName(i int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if p := b.pins[i]; p != nil && len(p.conns) > 0 {
		return p.conns[0].name
	}
	return "an interrupt connection"
}

func bit(buf []byte, pos int) bool { return buf[pos/8]&(1<<(pos%8)) != 0 }

func lastByteMask(n int) byte {
	if n%8 == 0 {
		return 0xff
	}
	return byte(1)<<(n%8) - 1
}

// Name returns the connection's holder name.
func (c *IOConn) Name() string { return c.name }

// Pins returns the connection's pins, in order.
func (c *IOConn) Pins() []int { return append([]int(nil), c.pins...) }

// Direction returns the connection's direction.
func (c *IOConn) Direction() Direction { return c.dir }

// Read fills buf with the levels of the connection's pins (bit i = i-th
// pin). On an output connection it returns the values last written. buf
// must hold ceil(n/8) bytes; bits past the last pin are zeroed.
func (c *IOConn) Read(ctx context.Context, buf []byte) error {
	const op = "read"
	if len(buf) < c.nbytes {
		return c.err(op, fmt.Errorf("%d bytes for %d pins, need %d: %w", len(buf), len(c.pins), c.nbytes, ErrBufferTooSmall))
	}
	if c.closed.Load() || c.f.closed.Load() {
		return c.err(op, ErrClosed)
	}
	if cause := c.f.Err(); cause != nil {
		return c.err(op, cause)
	}
	if c.dir == Output {
		for i := range buf[:c.nbytes] {
			buf[i] = byte(c.latch[i/8].Load() >> (8 * (i % 8)))
		}
		c.logical(buf)
		return nil
	}
	f := c.f
	masks := f.info.Flags&IOAsMasks != 0
	var out [8]byte
	val := out[:]
	if c.nbytes > len(out) {
		val = make([]byte, c.nbytes)
	}
	for gi := range c.groups {
		g := &c.groups[gi]
		var v uint64
		var err error
		c.lockIO(g.b)
		if masks {
			var all uint64
			all, err = f.caps.readMask.ReadPinsMask(ctx, g.b.id)
			for k, i := range g.pins {
				v |= (all >> uint(i) & 1) << uint(k)
			}
		} else {
			v, err = f.caps.readPins.ReadPins(ctx, g.b.id, g.pins)
		}
		c.unlockIO(g.b)
		if err != nil {
			return driverErr(op, g.b.id*f.info.PinsPerBank+g.pins[0], g.b.id, err)
		}
		if len(c.groups) == 1 {
			// One bank: bit k of v is bit k of the buffer.
			v = (v ^ c.invertWord()) & c.pinMask()
			for i := range buf[:c.nbytes] {
				buf[i] = byte(v >> (8 * i))
			}
			return nil
		}
		for k, pos := range g.pos {
			if v>>uint(k)&1 != 0 {
				val[pos/8] |= 1 << (pos % 8)
			}
		}
	}
	copy(buf, val[:c.nbytes])
	c.logical(buf)
	return nil
}

// logical turns the connection's first nbytes of buf from physical levels
// to logical ones or back (active-low inverts both ways) and zeroes the
// bits past the last pin.
func (c *IOConn) logical(buf []byte) {
	for i := range buf[:c.nbytes] {
		buf[i] ^= c.invert
	}
	buf[c.nbytes-1] &= lastByteMask(len(c.pins))
}

// Write drives the connection's pins from buf (bit i = i-th pin). Denied on
// input connections. A connection spanning banks is written bank by bank;
// if a bank fails, the banks before it keep their new levels and the error
// names the bank.
func (c *IOConn) Write(ctx context.Context, buf []byte) error {
	const op = "write"
	if c.dir != Output {
		return c.err(op, fmt.Errorf("write on an input connection: %w", ErrOperationDenied))
	}
	if len(buf) < c.nbytes {
		return c.err(op, fmt.Errorf("%d bytes for %d pins, need %d: %w", len(buf), len(c.pins), c.nbytes, ErrBufferTooSmall))
	}
	if c.closed.Load() || c.f.closed.Load() {
		return c.err(op, ErrClosed)
	}
	if cause := c.f.Err(); cause != nil {
		return c.err(op, cause)
	}
	f := c.f
	masks := f.info.Flags&IOAsMasks != 0
	for gi := range c.groups {
		g := &c.groups[gi]
		v := c.groupBits(g, buf)
		var set uint64
		if masks {
			for m := v; m != 0; m &= m - 1 {
				set |= 1 << uint(g.pins[bits.TrailingZeros64(m)])
			}
		}
		// The latch changes with the hardware, under the lock that
		// serialises this connection's writers; dispatch runs only after
		// the bank lock is released.
		var err error
		c.lockIO(g.b)
		if c.writeMu {
			c.mu.Lock()
		}
		if masks {
			err = f.caps.writeMask.WritePinsMask(ctx, g.b.id, set, g.mask&^set)
		} else {
			err = f.caps.writePins.WritePins(ctx, g.b.id, g.pins, v)
		}
		if err == nil {
			c.storeLatch(g, v)
		}
		if c.writeMu {
			c.mu.Unlock()
		}
		c.unlockIO(g.b)
		if err != nil {
			return driverErr(op, g.b.id*f.info.PinsPerBank+g.pins[0], g.b.id, err)
		}
	}
	return nil
}

// groupBits gathers the physical levels buf asks of group g's pins: bit k
// is g.pins[k].
func (c *IOConn) groupBits(g *ioGroup, buf []byte) uint64 {
	if len(c.groups) == 1 {
		// One bank: bit k of the buffer is bit k of the group.
		var word [8]byte
		copy(word[:], buf[:c.nbytes])
		return (binary.LittleEndian.Uint64(word[:]) ^ c.invertWord()) & c.pinMask()
	}
	var v uint64
	for k, pos := range g.pos {
		if bit(buf, pos) != (c.invert != 0) {
			v |= 1 << uint(k)
		}
	}
	return v
}

// latched reports the latch's level for the connection's pos-th pin.
func (c *IOConn) latched(pos int) bool { return c.latch[pos/64].Load()>>(pos%64)&1 != 0 }

// storeLatch records v, the levels just written to group g's pins (bit k
// for g.pins[k]), in the latch; its caller serialises the connection's
// writers.
func (c *IOConn) storeLatch(g *ioGroup, v uint64) {
	if len(c.groups) == 1 {
		c.latch[0].Store(v)
		return
	}
	for k, pos := range g.pos {
		w := &c.latch[pos/64]
		m := uint64(1) << (pos % 64)
		w.Store(w.Load()&^m | (v>>uint(k)&1)<<(pos%64))
	}
}

// invertWord is the connection's inversion for a whole word of levels.
func (c *IOConn) invertWord() uint64 { return uint64(c.invert) * 0x0101010101010101 }

// pinMask has a bit set for each of a one-bank connection's pins.
func (c *IOConn) pinMask() uint64 { return 1<<uint(len(c.pins)) - 1 }

func (c *IOConn) lockIO(b *bank) {
	if c.f.info.Flags&IndependentIO == 0 {
		b.lock()
	}
}

func (c *IOConn) unlockIO(b *bank) {
	if c.f.info.Flags&IndependentIO == 0 {
		b.unlock()
	}
}

func (c *IOConn) err(op string, err error) error {
	return &PinError{Op: op, Pin: c.pins[0], Bank: c.groups[0].b.id, Holder: c.name, Err: err}
}

// Close releases the pins: they return to their default state unless the
// restriction is none-and-preserve (then outputs keep their level). Close
// is idempotent.
func (c *IOConn) Close() error {
	c.closeMu.Lock()
	defer c.closeMu.Unlock()
	if c.closed.Swap(true) {
		return nil
	}
	f := c.f
	f.mu.Lock()
	defer func() {
		f.mu.Unlock()
		for _, g := range c.groups {
			if g.b.pending.Load() {
				g.b.kick()
			}
		}
	}()
	delete(f.conns, c)
	var first error
	for _, g := range c.groups {
		b := g.b
		r := &IORequest{Bank: b.id, Direction: c.dir, Preserve: c.restr == RestrictNoneAndPreserve}
		for _, i := range g.pins {
			if c.shared {
				b.ioShared[i]--
			} else {
				b.ioHolder[i] = nil
			}
			if b.ioShared[i] == 0 && b.ioHolder[i] == nil && b.intrHolders[i] == 0 && b.ioConfigured[i] {
				r.Pins = append(r.Pins, i)
			}
			if b.ioShared[i] == 0 {
				b.ioSharedName[i] = ""
				if b.ioHolder[i] == nil {
					b.ioConfigured[i] = false
				}
			}
		}
		if len(r.Pins) == 0 || !f.reachable() {
			continue
		}
		b.lock()
		err := f.caps.ioDisconnect.DisconnectIOPins(context.Background(), r)
		b.mu.Unlock()
		if err != nil && first == nil {
			first = driverErr("disconnect-io", b.id*f.info.PinsPerBank+r.Pins[0], b.id, err)
		}
	}
	return first
}
