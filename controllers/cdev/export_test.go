package cdev

import "github.com/warthog618/go-gpiocdev"

// SetEventHook makes c call h with every kernel event, first thing, as
// go-gpiocdev hands it over: what a bare go-gpiocdev handler would see
// (TestGuestMeasure stamps it there). Nil removes the hook.
func SetEventHook(c *Controller, h func(gpiocdev.LineEvent)) {
	if h == nil {
		c.eventHook.Store(nil)
		return
	}
	c.eventHook.Store(&h)
}
