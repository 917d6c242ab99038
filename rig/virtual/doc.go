// Package virtual is the virtual companion MCU: the firmware core
// (rig/firmware) on a simulated HAL whose tick is monotonic nanoseconds,
// served on a pseudo-terminal, so the host client opens a real tty path
// exactly as it would open /dev/ttyACM0.
//
// Its pins meet the outside world through a harness (rig/harness):
// OnDrive reports what the MCU puts on each wire, SetInput tells it what
// the wire carries from the other side.
package virtual
