package model

import (
	"sync/atomic"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/mcp23017"
)

// INTLine is the host GPIO line wired to one of the chip's INT outputs,
// as the driver's IRQLine.
func (c *Chip) INTLine(p mcp23017.Port) mcp23017.IRQLine { return &intLine{c: c, port: p & 1} }

type intLine struct {
	c    *Chip
	port mcp23017.Port
}

func (l *intLine) Level() (clx.Level, error) { return l.c.INT(l.port), nil }

func (l *intLine) OnChange(fn func(clx.Level)) (func(), error) {
	var stopped atomic.Bool
	l.c.OnINT(func(p mcp23017.Port, lv clx.Level) {
		if p == l.port && !stopped.Load() {
			fn(lv)
		}
	})
	return func() { stopped.Store(true) }, nil
}
