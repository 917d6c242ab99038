// Command gpiohil is gpiohil's one binary: it serves and talks to the
// companion MCU (gpiohil mcu …). Run gpiohil --help for the commands.
package main
