package clx

import (
	"errors"
	"sync"
	"sync/atomic"
)

// A controller can go away while clients hold connections: a board is
// unplugged, a chip's device is removed. Its driver then answers every
// call with an error wrapping ErrControllerGone. The first such answer,
// from any call, marks the framework gone: every interrupt connection
// fails with the cause (Failed closes), every later operation fails with
// it at once without calling the controller (a vanished bus device may
// take a timeout to answer each call), dispatch stops, and closing
// connections and the framework succeeds without programming anything.

// sentry watches what the guarded controller calls return: it turns a
// panic into a *DriverPanicError and reports an error wrapping
// ErrControllerGone to gone.
type sentry struct{ gone func(error) }

// check is deferred by every guarded call.
func (s *sentry) check(err *error, method string) {
	if v := recover(); v != nil {
		*err = &DriverPanicError{Method: method, Value: v}
		return
	}
	if *err != nil && errors.Is(*err, ErrControllerGone) {
		s.gone(*err)
	}
}

// removal is the framework's record of its controller going away.
type removal struct {
	cause  atomic.Pointer[error]
	goneCh chan struct{}
	once   sync.Once
	failed chan struct{} // closed when every interrupt connection has failed
}

func (r *removal) init() {
	r.goneCh = make(chan struct{})
	r.failed = make(chan struct{})
}

// Gone is closed when the controller has gone away; Err then says how it
// showed.
func (f *Framework) Gone() <-chan struct{} { return f.removal.goneCh }

// Err returns the controller's answer that showed it gone (wrapping
// ErrControllerGone), or nil while it is there.
func (f *Framework) Err() error {
	if e := f.removal.cause.Load(); e != nil {
		return *e
	}
	return nil
}

// reachable reports whether the controller may still be called: the
// framework is neither closed nor gone.
func (f *Framework) reachable() bool { return !f.closed.Load() && f.Err() == nil }

// goneErr is the error of an operation on pin (or bank, -1 for none)
// refused because the controller is gone, or nil.
func (f *Framework) goneErr(op string, pin, bank int) error {
	if cause := f.Err(); cause != nil {
		return pinErr(op, pin, bank, cause)
	}
	return nil
}

// markGone records the controller's removal once. It may run inside a
// controller call, under the framework's locks: the connections are failed
// in a goroutine of their own, which Close waits for.
func (f *Framework) markGone(cause error) {
	f.removal.once.Do(func() {
		f.removal.cause.Store(&cause)
		close(f.removal.goneCh)
		go f.failAllGone(cause)
	})
}

// failAllGone fails every open interrupt connection with the removal.
func (f *Framework) failAllGone(cause error) {
	defer close(f.removal.failed)
	f.mu.Lock()
	var conns []*InterruptConn
	for c := range f.conns {
		if ic, ok := c.(*InterruptConn); ok {
			conns = append(conns, ic)
		}
	}
	f.mu.Unlock()
	for _, c := range conns {
		c.fail(pinErr("controller-gone", c.p.pin, c.b.id, cause))
	}
}
