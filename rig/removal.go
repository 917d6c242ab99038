package rig

import (
	"context"
	"fmt"
	"time"
)

// RemoveController takes the target's controller away under whatever
// connections are open, as an unplugged board goes: its lines stop being
// driven and Framework reports it gone (clx.Framework.Gone). It fails with
// ErrUnsupported, saying why, where the tier cannot remove its controller
// (RemovalUnsupported). ReinsertController undoes it.
func (r *Rig) RemoveController(ctx context.Context) error {
	rm, err := r.remover("remove")
	if err != nil {
		return err
	}
	if err := rm.removeController(ctx); err != nil {
		return fmt.Errorf("rig %s: remove the controller: %w", r.Fixture.Name, err)
	}
	return nil
}

// RemovalUnsupported says why the tier cannot remove its controller, or
// "" when RemoveController can.
func (r *Rig) RemovalUnsupported() string {
	switch t := r.target.(type) {
	case controllerRemover:
		return ""
	case removalRefuser:
		return t.removalUnsupported()
	}
	return "the rig cannot remove this target's controller"
}

// remover returns the target as a controllerRemover, or an error for op
// saying why it is not one.
func (r *Rig) remover(op string) (controllerRemover, error) {
	if rm, ok := r.target.(controllerRemover); ok {
		return rm, nil
	}
	return nil, fmt.Errorf("rig %s: %s the controller: %w: %s", r.Fixture.Name, op, ErrUnsupported, r.RemovalUnsupported())
}

// RemovalAnnounced reports whether the target's controller tells the
// framework of its removal by itself, as a device whose bus signals a
// surprise removal does (the sim controller raises its interrupt): the
// framework then knows before any client calls. Otherwise (an I2C chip
// unplugged) the framework finds it gone at its next access.
func (r *Rig) RemovalAnnounced() bool {
	rm, ok := r.target.(controllerRemover)
	return ok && rm.removalAnnounced()
}

// ReinsertController brings a removed controller back as a new device:
// the old framework is closed (its connections already failed) and
// Framework is a new one over the controller at its reset state.
func (r *Rig) ReinsertController(ctx context.Context) error {
	rm, err := r.remover("reinsert")
	if err != nil {
		return err
	}
	closeCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := r.Framework.Close(closeCtx); err != nil {
		return fmt.Errorf("rig %s: close the removed controller's framework: %w", r.Fixture.Name, err)
	}
	if err := rm.reinsertController(ctx); err != nil {
		return fmt.Errorf("rig %s: reinsert the controller: %w", r.Fixture.Name, err)
	}
	r.Framework = r.target.framework()
	return nil
}
