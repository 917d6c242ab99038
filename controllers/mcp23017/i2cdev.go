package mcp23017

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// I2CDev is a Linux I2C adapter through the i2c-dev interface
// (/dev/i2c-N): each Tx is one I2C_RDWR ioctl, so a write followed by a
// read is joined by a repeated start, as the chip's register reads need.
type I2CDev struct {
	mu   sync.Mutex
	f    *os.File
	path string
}

// The i2c-dev ioctl and message flag (linux/i2c-dev.h, linux/i2c.h).
const (
	i2cRDWR = 0x0707
	i2cMRd  = 0x0001
)

// i2cMsg is struct i2c_msg.
type i2cMsg struct {
	addr  uint16
	flags uint16
	len   uint16
	buf   uintptr
}

// i2cRdwrData is struct i2c_rdwr_ioctl_data.
type i2cRdwrData struct {
	msgs  uintptr
	nmsgs uint32
}

// OpenI2CDev opens an i2c-dev adapter such as /dev/i2c-1.
func OpenI2CDev(path string) (*I2CDev, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("mcp23017: open I2C adapter: %w", err)
	}
	return &I2CDev{f: f, path: path}, nil
}

// Tx implements Bus.
func (d *I2CDev) Tx(addr uint16, w, r []byte) error {
	var msgs [2]i2cMsg
	n := 0
	if len(w) > 0 {
		msgs[n] = i2cMsg{addr: addr, len: uint16(len(w)), buf: uintptr(unsafe.Pointer(&w[0]))}
		n++
	}
	if len(r) > 0 {
		msgs[n] = i2cMsg{addr: addr, flags: i2cMRd, len: uint16(len(r)), buf: uintptr(unsafe.Pointer(&r[0]))}
		n++
	}
	if n == 0 {
		return nil
	}
	data := i2cRdwrData{msgs: uintptr(unsafe.Pointer(&msgs[0])), nmsgs: uint32(n)}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.f == nil {
		return fmt.Errorf("mcp23017: %s: %w", d.path, os.ErrClosed)
	}
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, d.f.Fd(), i2cRDWR, uintptr(unsafe.Pointer(&data)))
	runtime.KeepAlive(w)
	runtime.KeepAlive(r)
	runtime.KeepAlive(&msgs)
	return i2cError(d.path, addr, errno)
}

// i2cError is the error of an I2C_RDWR ioctl that returned errno: ENXIO
// (the address went unacknowledged, in the kernel's I2C fault codes)
// wraps ErrNoAck as well as the errno.
func i2cError(path string, addr uint16, errno unix.Errno) error {
	switch errno {
	case 0:
		return nil
	case unix.ENXIO:
		return fmt.Errorf("%s: address %#02x: %w (%w)", path, addr, ErrNoAck, errno)
	}
	return fmt.Errorf("%s: address %#02x: %w", path, addr, errno)
}

// Close closes the adapter.
func (d *I2CDev) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.f == nil {
		return nil
	}
	err := d.f.Close()
	d.f = nil
	return err
}
