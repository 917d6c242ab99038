//go:build !linux

package cdev

import (
	"fmt"

	"github.com/gpiohil/gpiohil/clx"
)

// Controller is unavailable off Linux.
type Controller struct{}

// Open fails: the GPIO character device exists on Linux only.
func Open(cfg Config) (*Controller, error) {
	return nil, fmt.Errorf("cdev: the GPIO character device needs Linux: %w", clx.ErrNotSupported)
}
