package mcu

import (
	"errors"
	"strconv"

	"github.com/gpiohil/gpiohil/rig/proto"
)

// Sentinel errors, for errors.Is.
var (
	ErrDisconnected    = errors.New("mcu: link lost")
	ErrTimeout         = errors.New("mcu: no response")
	ErrVersionMismatch = errors.New("mcu: protocol version mismatch")
	ErrClosed          = errors.New("mcu: client closed")
	ErrNotFound        = errors.New("mcu: no matching serial port")
	ErrRefused         = errors.New("mcu: command refused")
	ErrProtocol        = errors.New("mcu: protocol error")
	// ErrCancelled: a later command (SetPin, Pulse or Probe on the same
	// pin, or Reset) ended a pulse train or probe before it finished.
	ErrCancelled = errors.New("mcu: cancelled by a later command")
)

// PortError is an error of the serial port, naming the port and the
// operation; it unwraps to the serial library's error (a serial.PortError,
// testable with errors.As) and, where the port is gone, to ErrDisconnected.
type PortError struct {
	Path string
	Op   string
	Err  error
	Lost bool // the port is gone (closed, unplugged)
}

// Error formats the error.
func (e *PortError) Error() string {
	return "mcu: " + e.Op + " " + e.Path + ": " + e.Err.Error()
}

// Unwrap returns the cause, and ErrDisconnected when the port is lost.
func (e *PortError) Unwrap() []error {
	if e.Lost {
		return []error{e.Err, ErrDisconnected}
	}
	return []error{e.Err}
}

// NakError is a command the MCU refused.
type NakError struct {
	Command string
	Code    uint8
}

// Error names the command and the reason.
func (e *NakError) Error() string {
	return "mcu: " + e.Command + " refused: " + proto.NakName(e.Code) + " (code " + strconv.Itoa(int(e.Code)) + ")"
}

// Unwrap returns ErrRefused.
func (e *NakError) Unwrap() error { return ErrRefused }

// LinkError explains a lost link or an unanswered command.
type LinkError struct {
	Path    string
	Command string // empty for the link as a whole
	Reason  string
	Err     error // ErrDisconnected or ErrTimeout
}

// Error formats the error.
func (e *LinkError) Error() string {
	s := "mcu: " + e.Path
	if e.Command != "" {
		s += ": " + e.Command
	}
	return s + ": " + e.Reason
}

// Unwrap returns ErrDisconnected or ErrTimeout.
func (e *LinkError) Unwrap() error { return e.Err }

func commandName(t byte) string {
	if n := proto.TypeName(t); n != "" {
		return n
	}
	return "command 0x" + strconv.FormatUint(uint64(t), 16)
}
