// Package rig assembles a rig from a fixture: the target's controller
// under clx, the companion MCU and its client, and — on the sim tier — the
// in-process harness between them. It also holds the rig's exclusive lock
// and the responder, the clx client driver that answers probes.
package rig
