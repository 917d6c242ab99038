// Package firmware is the portable core of the companion MCU's firmware:
// it decodes host commands (rig/proto), drives pins, runs probes and pulse
// trains, captures edges and sends reports. A board supplies a HAL; the
// same core runs on the RP2040 (rig/firmware/pico, built with TinyGo) and
// inside the virtual MCU (rig/virtual).
//
// The core keeps to what TinyGo compiles for a microcontroller: no fmt, no
// reflection, no maps, fixed buffers. The edge callback, which a board
// calls in interrupt context, only pushes (pin, level, tick) into a
// preallocated single-producer/single-consumer ring; Poll, called from the
// main loop, does everything else.
package firmware
