package model

import (
	"testing"
	"time"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/mcp23017"
)

// The datasheet's register maps (DS20001952, the tables of register
// addresses for IOCON.BANK = 1 and IOCON.BANK = 0), typed in from it: the
// known answers for mcp23017.Addr and for the chip's decoding.
var (
	datasheetBank1 = map[string]byte{
		"IODIRA": 0x00, "IPOLA": 0x01, "GPINTENA": 0x02, "DEFVALA": 0x03, "INTCONA": 0x04, "IOCONA": 0x05,
		"GPPUA": 0x06, "INTFA": 0x07, "INTCAPA": 0x08, "GPIOA": 0x09, "OLATA": 0x0A,
		"IODIRB": 0x10, "IPOLB": 0x11, "GPINTENB": 0x12, "DEFVALB": 0x13, "INTCONB": 0x14, "IOCONB": 0x15,
		"GPPUB": 0x16, "INTFB": 0x17, "INTCAPB": 0x18, "GPIOB": 0x19, "OLATB": 0x1A,
	}
	datasheetBank0 = map[string]byte{
		"IODIRA": 0x00, "IODIRB": 0x01, "IPOLA": 0x02, "IPOLB": 0x03, "GPINTENA": 0x04, "GPINTENB": 0x05,
		"DEFVALA": 0x06, "DEFVALB": 0x07, "INTCONA": 0x08, "INTCONB": 0x09, "IOCONA": 0x0A, "IOCONB": 0x0B,
		"GPPUA": 0x0C, "GPPUB": 0x0D, "INTFA": 0x0E, "INTFB": 0x0F, "INTCAPA": 0x10, "INTCAPB": 0x11,
		"GPIOA": 0x12, "GPIOB": 0x13, "OLATA": 0x14, "OLATB": 0x15,
	}
	// Power-on reset values: IODIR all inputs, everything else 0.
	datasheetPOR = map[string]byte{"IODIR": 0xff}
)

func TestRegisterMapsMatchTheDatasheet(t *testing.T) {
	for _, m := range []struct {
		bank1 bool
		table map[string]byte
	}{{false, datasheetBank0}, {true, datasheetBank1}} {
		for r := mcp23017.IODIR; r <= mcp23017.OLAT; r++ {
			for p, suffix := range []string{"A", "B"} {
				name := r.String() + suffix
				want, ok := m.table[name]
				if !ok {
					t.Fatalf("no datasheet entry %s", name)
				}
				if got := mcp23017.Addr(r, mcp23017.Port(p), m.bank1); got != want {
					t.Errorf("BANK=%v %s at %#02x, datasheet %#02x", m.bank1, name, got, want)
				}
				if gr, gp, ok := mcp23017.RegAt(want, m.bank1); !ok || gr != r || int(gp) != p {
					t.Errorf("BANK=%v address %#02x decodes as %v%v (%v), datasheet %s", m.bank1, want, gr, gp, ok, name)
				}
			}
		}
	}
	if _, _, ok := mcp23017.RegAt(0x0B, true); ok {
		t.Error("BANK=1 address 0x0B decodes as a register; the datasheet leaves it unimplemented")
	}
}

// rw runs one transaction on a chip.
func rw(t *testing.T, c *Chip, w []byte, n int) []byte {
	t.Helper()
	r := make([]byte, n)
	if err := c.Transfer(w, r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestResetValuesAndSequentialRead(t *testing.T) {
	c := New()
	all := rw(t, c, []byte{0x00}, 22) // the whole paired map in one sequential read
	for name, addr := range datasheetBank0 {
		want := datasheetPOR[name[:len(name)-1]]
		if all[addr] != want {
			t.Errorf("%s after reset = %#02x, want %#02x", name, all[addr], want)
		}
	}
	// The pointer rolls over to 0 after the last register.
	if got := rw(t, c, []byte{0x14}, 3); got[2] != 0xff {
		t.Errorf("read past OLATB gave %#02x, want IODIRA (0xff)", got[2])
	}
}

func TestBankAndByteModes(t *testing.T) {
	c := New()
	rw(t, c, []byte{0x0A, mcp23017.IOCONBank}, 0) // IOCON in the paired map
	if got := rw(t, c, []byte{0x05}, 1)[0]; got != mcp23017.IOCONBank {
		t.Fatalf("IOCON at BANK=1 address 0x05 = %#02x", got)
	}
	if got := rw(t, c, []byte{0x15}, 1)[0]; got != mcp23017.IOCONBank {
		t.Fatalf("IOCON at BANK=1 address 0x15 = %#02x", got)
	}
	rw(t, c, []byte{0x10, 0x0f}, 0) // IODIRB in the BANK=1 map
	if got := c.Register(mcp23017.IODIR, mcp23017.PortB); got != 0x0f {
		t.Fatalf("IODIRB = %#02x after writing 0x0f at 0x10 in BANK=1", got)
	}
	// BANK=1 sequential: port A's block is followed by unimplemented
	// addresses that read 0.
	if got := rw(t, c, []byte{0x0A}, 2); got[1] != 0 {
		t.Errorf("unimplemented 0x0B read %#02x", got[1])
	}
	// Byte mode in BANK=1: the pointer stays.
	rw(t, c, []byte{0x05, mcp23017.IOCONBank | mcp23017.IOCONSeqOp}, 0)
	rw(t, c, []byte{0x16, 0x01, 0x02, 0x03}, 0) // GPPUB three times
	if got := c.Register(mcp23017.GPPU, mcp23017.PortB); got != 0x03 {
		t.Errorf("byte mode BANK=1: GPPUB = %#02x, want the last byte 0x03", got)
	}
	// Byte mode in the paired map: the pointer toggles within the pair.
	rw(t, c, []byte{0x05, mcp23017.IOCONSeqOp}, 0)
	rw(t, c, []byte{0x14, 0x11, 0x22, 0x33}, 0) // OLATA, OLATB, OLATA
	if a, b := c.Register(mcp23017.OLAT, mcp23017.PortA), c.Register(mcp23017.OLAT, mcp23017.PortB); a != 0x33 || b != 0x22 {
		t.Errorf("byte mode paired: OLATA %#02x OLATB %#02x, want 0x33 0x22", a, b)
	}
}

func TestInterruptOnChangeCapturesTheFirstChange(t *testing.T) {
	c := New()
	rw(t, c, []byte{0x04, 0x0c}, 0) // GPINTENA: GPA2, GPA3 on change
	if c.INT(mcp23017.PortA) != clx.High {
		t.Fatal("INTA asserted (low) before any change")
	}
	c.DrivePad(2, clx.High)
	if c.INT(mcp23017.PortA) != clx.Low {
		t.Fatal("INTA not asserted (active-low) after GPA2 changed")
	}
	c.DrivePad(3, clx.High) // while port A's interrupt is active
	st := rw(t, c, []byte{0x0E}, 1)
	if st[0] != 0x04 {
		t.Errorf("INTFA = %#02x, want only GPA2 (0x04)", st[0])
	}
	if cp := c.Register(mcp23017.INTCAP, mcp23017.PortA); cp != 0x04 {
		t.Errorf("INTCAPA = %#02x, want the port at the first change (0x04)", cp)
	}
	if c.MergedEdges() != 1 {
		t.Errorf("%d merged, want 1 (GPA3's change while active)", c.MergedEdges())
	}
	rw(t, c, []byte{0x10}, 1) // reading INTCAPA clears
	if c.INT(mcp23017.PortA) != clx.High || c.Register(mcp23017.INTF, mcp23017.PortA) != 0 {
		t.Error("reading INTCAPA did not end the interrupt")
	}
	c.DrivePad(3, clx.Low)
	if c.Register(mcp23017.INTF, mcp23017.PortA) != 0x08 || c.INT(mcp23017.PortA) != clx.Low {
		t.Error("a change after clearing did not interrupt")
	}
	rw(t, c, []byte{0x12}, 1) // reading GPIOA clears too
	if c.INT(mcp23017.PortA) != clx.High {
		t.Error("reading GPIOA did not end the interrupt")
	}
}

func TestCompareModeInterruptsAgainWhileTheConditionHolds(t *testing.T) {
	c := New()
	c.DrivePad(9, clx.High)                                                // GPB1
	rw(t, c, []byte{0x07, 0x00}, 0)                                        // DEFVALB 0
	rw(t, c, []byte{0x09, 0x02}, 0)                                        // INTCONB: GPB1 against DEFVAL
	rw(t, c, []byte{0x0A, mcp23017.IOCONMirror | mcp23017.IOCONIntPol}, 0) // mirrored, active-high
	rw(t, c, []byte{0x05, 0x02}, 0)                                        // GPINTENB
	if c.INT(mcp23017.PortA) != clx.High || c.INT(mcp23017.PortB) != clx.High {
		t.Fatal("a pin differing from DEFVAL did not assert INTA and INTB (mirrored, active-high)")
	}
	rw(t, c, []byte{0x11}, 1) // INTCAPB: cleared, but the condition holds
	if c.Register(mcp23017.INTF, mcp23017.PortB) != 0x02 || c.INT(mcp23017.PortB) != clx.High {
		t.Error("compare mode: the interrupt did not return at once while the pin still differs")
	}
	c.DrivePad(9, clx.Low)
	rw(t, c, []byte{0x11}, 1)
	if c.INT(mcp23017.PortB) != clx.Low {
		t.Error("compare mode: the interrupt stayed after the pin matched DEFVAL")
	}
}

func TestPadsPolarityAndINTDrive(t *testing.T) {
	c := New()
	rw(t, c, []byte{0x0C, 0x01}, 0) // GPPUA: GPA0 pulled up
	if l, _, _ := c.Pad(0); l != clx.High {
		t.Error("pulled-up input floats low")
	}
	if p, _ := c.PadPull(0); p != clx.PullUp {
		t.Errorf("pull %v", p)
	}
	rw(t, c, []byte{0x02, 0x01}, 0) // IPOLA: GPA0 inverted
	if g := rw(t, c, []byte{0x12}, 1)[0]; g&1 != 0 {
		t.Error("IPOL did not invert GPIOA's bit of a high input")
	}
	rw(t, c, []byte{0x14, 0x80}, 0) // OLATA: GPA7 high
	rw(t, c, []byte{0x00, 0x7f}, 0) // IODIRA: GPA7 an output
	if l, out, _ := c.Pad(7); l != clx.High || !out {
		t.Error("GPA7 does not drive its latch")
	}
	rw(t, c, []byte{0x0A, mcp23017.IOCONODR}, 0)
	rw(t, c, []byte{0x04, 0x02}, 0) // GPINTENA GPA1
	c.DrivePad(1, clx.High)
	if c.INT(mcp23017.PortA) != clx.Low {
		t.Error("open-drain INT not pulled low when active")
	}
	if c.INT(mcp23017.PortB) != clx.High {
		t.Error("INTB (not mirrored) asserted for a port A interrupt")
	}
}

// The bus charges the I2C framing: known answers at 100 kHz.
func TestBusTime(t *testing.T) {
	b, err := NewBus(100_000)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		nw, nr int
		want   time.Duration
	}{
		{2, 0, 290 * time.Microsecond}, // register write: S, addr, reg, data, P = 29 clocks
		{1, 1, 390 * time.Microsecond}, // register read: S, addr, reg, Sr, addr, data, P = 39
		{1, 6, 840 * time.Microsecond}, // six-register read = 84
		{0, 0, 110 * time.Microsecond}, // address only (a probe, or a NACK) = 11
	} {
		if got := b.TxTime(c.nw, c.nr); got != c.want {
			t.Errorf("write %d read %d: %v, want %v", c.nw, c.nr, got, c.want)
		}
	}
	if err := b.Tx(0x21, []byte{0}, nil); err == nil {
		t.Error("a transaction to an empty address succeeded")
	}
}
