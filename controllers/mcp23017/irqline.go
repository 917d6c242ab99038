package mcp23017

import "github.com/gpiohil/gpiohil/clx"

// IRQLine is the host GPIO line the chip's INT output is wired to: the
// driver's primary interrupt.
type IRQLine interface {
	// Level is the line's level now.
	Level() (clx.Level, error)
	// OnChange calls fn with the line's new level each time it changes,
	// until stop is called. fn must not block.
	OnChange(fn func(clx.Level)) (stop func(), err error)
}
