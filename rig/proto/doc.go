// Package proto is the serial wire protocol between the gpiohil host and
// its companion MCU: COBS framing with a 0x00 delimiter, CRC-16/CCITT, a
// protocol version and a sequence number in every frame, and the messages
// of PROTOCOL.md. It is shared by the host client (rig/mcu) and the
// firmware core (rig/firmware), so it uses only what TinyGo compiles: no
// fmt, no reflection, no maps, and no allocation when decoding.
package proto
