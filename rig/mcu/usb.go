package mcu

import (
	"fmt"
	"strconv"
	"strings"

	"go.bug.st/serial/enumerator"
)

// USBID identifies a board on USB: vendor and product IDs in hex, and
// optionally its serial number.
type USBID struct {
	VID, PID, Serial string
}

// ParseUSBID parses VID:PID or VID:PID:SERIAL (IDs in hex, e.g.
// 2e8a:000a for a Raspberry Pi Pico).
func ParseUSBID(s string) (USBID, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return USBID{}, fmt.Errorf("mcu: USB identity %q: want VID:PID or VID:PID:SERIAL", s)
	}
	id := USBID{VID: parts[0], PID: parts[1]}
	if len(parts) == 3 {
		id.Serial = parts[2]
	}
	for _, h := range []string{id.VID, id.PID} {
		if _, err := strconv.ParseUint(h, 16, 16); err != nil || len(h) > 4 {
			return USBID{}, fmt.Errorf("mcu: USB identity %q: %q is not a 16-bit hex ID", s, h)
		}
	}
	return id, nil
}

// String writes the identity as ParseUSBID reads it.
func (u USBID) String() string {
	if u.Serial == "" {
		return u.VID + ":" + u.PID
	}
	return u.VID + ":" + u.PID + ":" + u.Serial
}

// FindPort returns the path of the one serial port whose USB VID and PID
// (hex, case-insensitive) and, if id.Serial is not empty, serial number
// match.
func FindPort(id USBID) (string, error) {
	vid, pid, serialNo := id.VID, id.PID, id.Serial
	ports, err := enumerator.GetDetailedPortsList()
	if err != nil {
		return "", fmt.Errorf("mcu: list serial ports: %w", err)
	}
	var found []string
	var seen []string
	for _, p := range ports {
		if !p.IsUSB {
			continue
		}
		seen = append(seen, p.Name+" "+p.VID+":"+p.PID+" "+p.SerialNumber)
		if strings.EqualFold(p.VID, vid) && strings.EqualFold(p.PID, pid) && (serialNo == "" || p.SerialNumber == serialNo) {
			found = append(found, p.Name)
		}
	}
	want := vid + ":" + pid
	if serialNo != "" {
		want += " serial " + serialNo
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return "", fmt.Errorf("%w for USB %s (USB ports: %s)", ErrNotFound, want, orNone(seen))
	}
	return "", fmt.Errorf("%w: USB %s matches %s; give a serial number", ErrNotFound, want, strings.Join(found, ", "))
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, "; ")
}
