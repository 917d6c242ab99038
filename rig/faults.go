package rig

import (
	"fmt"

	"github.com/gpiohil/gpiohil/controllers/sim"
)

// faultInjector is a target whose controller driver can be made to
// misbehave on demand.
type faultInjector interface {
	injectFault(method string, mode sim.FaultMode) error
}

// InjectFault arms the target's controller driver: its next call of
// method (a clx controller method, such as "MaskInterrupts") misbehaves
// as mode says (see sim.FaultMode); sim.FaultNone disarms it. It fails
// with ErrUnsupported where the target's driver cannot be made to fail
// (FaultsUnsupported says why).
func (r *Rig) InjectFault(method string, mode sim.FaultMode) error {
	fi, ok := r.target.(faultInjector)
	if !ok {
		return fmt.Errorf("rig %s: inject a fault in %s: %w: %s", r.Fixture.Name, method, ErrUnsupported, r.FaultsUnsupported())
	}
	if err := fi.injectFault(method, mode); err != nil {
		return fmt.Errorf("rig %s: %w", r.Fixture.Name, err)
	}
	return nil
}

// FaultsUnsupported says why the target's controller driver cannot be
// made to fail on demand, or "" when InjectFault can.
func (r *Rig) FaultsUnsupported() string {
	if _, ok := r.target.(faultInjector); ok {
		return ""
	}
	return fmt.Sprintf("only the simulated controller fails on demand; fixture %s's target is %s", r.Fixture.Name, r.Fixture.Target.Controller)
}
