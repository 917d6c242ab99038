//go:build !linux

package rig

import (
	"context"
	"fmt"
	"time"

	"github.com/gpiohil/gpiohil/fixtures"
	"github.com/gpiohil/gpiohil/rig/virtual"
)

type cdevTarget struct{}

func (r *Rig) openCdev(ctx context.Context, fx *fixtures.Fixture) error {
	return fmt.Errorf("%w: the GPIO character device needs Linux", ErrUnsupported)
}

func (r *Rig) cdevLine(l fixtures.Line) (int, error) { return l.Offset, nil }

func (r *Rig) attachVirtualCdev(v *virtual.MCU) error { return ErrUnsupported }

func (r *Rig) closeCdev() {}

func (r *Rig) cdevLost() uint64 { return 0 }

func (r *Rig) syncCdev(ctx context.Context) error { return nil }

func (r *Rig) cdevClock() (func(time.Duration) time.Time, string, bool) { return nil, "", false }
