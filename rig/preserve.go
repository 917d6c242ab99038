package rig

// preserveRefuser is a target whose controller cannot keep an output's
// level once its connection closed (clx.RestrictNoneAndPreserve), and
// says why.
type preserveRefuser interface {
	preserveUnsupported() string
}

// PreserveUnsupported says why the target's controller cannot keep a
// preserved output driving after its connection closed, or "" when it
// can.
func (r *Rig) PreserveUnsupported() string {
	if t, ok := r.target.(preserveRefuser); ok {
		return t.preserveUnsupported()
	}
	return ""
}
