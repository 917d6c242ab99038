// Package picoemu runs the companion-MCU firmware a lab flashes — the
// UF2 image of rig/firmware/pico — on an emulated RP2040 (the rp2040js
// emulator, in a Node program kept beside this file and pinned by its
// package-lock.json).
//
// The firmware's USB serial port is served on a pseudo-terminal, which the
// host opens through the same serial path as a Pico's /dev/ttyACM0. Its
// pins are carried to this process on the same framed stream as the serial
// bytes, in order, so that the rig's harness can wire them to a target
// (MCU implements harness.MCU) and cause always precedes effect.
//
// The emulated clock is exact and deterministic, but it runs at about half
// of real time on a typical machine: the firmware's timestamps count
// emulated microseconds.
package picoemu
