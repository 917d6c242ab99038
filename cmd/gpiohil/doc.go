// Command gpiohil is gpiohil's one binary: it validates a rig (gpiohil
// check), lists and validates fixtures (gpiohil fixture), and serves and
// talks to the companion MCU (gpiohil mcu). Run gpiohil --help for the
// commands.
package main
