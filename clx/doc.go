// Package clx is gpiohil's GPIO framework, modelled on the Windows GPIO
// framework extension (GpioClx). It sits between client drivers (code that
// uses pins: the rig's responder, a test, a peripheral driver) and
// controller drivers (code that touches a GPIO controller's registers, or
// a kernel's GPIO character device). Clients open I/O and interrupt
// connections; clx does all the bookkeeping — sharing, reference counts,
// masking, dispatch, emulation, storm detection — and calls the controller
// driver only to program hardware. A controller driver never learns which
// client a call is for.
//
// clx imports nothing else of gpiohil; controller drivers import clx.
//
// # Writing a controller driver
//
// Implement Controller (Prepare, Info, Start, Stop, Release). Start
// receives the primary interrupt; Stop disables every interrupt. Info is read
// once: TotalPins in banks of PinsPerBank (1..64; only the last bank may be
// short; controller-relative pin p is bank p/PinsPerBank, index
// p%PinsPerBank), and Flags. Every other capability is an optional
// interface that New discovers by type assertion. A group is all or
// nothing: New fails with ErrIncompleteDriver, naming each missing method,
// when a driver implements part of one.
//
//	group              interfaces                                   notes
//	-----------------  -------------------------------------------  --------------------------------------------
//	I/O                IOConnector, IODisconnector                  both required
//	                   + PinReader and/or PinWriter                 pin-table form: bit i = pins[i]
//	                   or MaskReader and/or MaskWriter              with IOAsMasks: bit n = bank index n
//	interrupts         InterruptEnabler, InterruptDisabler,         all five required
//	                   InterruptMasker, InterruptUnmasker,
//	                   ActiveQuerier
//	                   + ActiveClearer                              unless AutoClearOnRead
//	                   EnabledQuerier                               optional: cross-checks the enable state
//	                   EventDescriber                               optional: event timestamp and new level
//	reconfigure        InterruptReconfigurer                        required by EmulateActiveBoth, EmulateDebounce
//	pre-process        PreProcessor                                 optional
//	bank power         BankContextSaver, BankContextRestorer        both required
//	suspend            Suspender (Suspend, Resume)                  Framework.Suspend/Resume; ErrNotSupported without
//	vendor function    SpecificFunctioner                           optional, opaque bytes
//
// Each complete group is also a composed interface — IOController,
// MaskIOController, InterruptController, BankPowerController,
// SuspendController — so a driver can have the compiler check it:
//
//	var _ clx.InterruptController = (*Controller)(nil)
//
// Flags and what the framework does with them:
//
//	MemoryMapped       callbacks are quick and never block; interrupts are dispatched
//	                   in the goroutine that raised them. Without it (a bus-attached
//	                   expander) dispatch runs in a worker goroutine per bank and
//	                   callbacks may block on bus I/O.
//	AutoClearOnRead    QueryActiveInterrupts clears what it reports; ClearActiveInterrupts
//	                   is never called.
//	IOAsMasks          reads and writes use the whole-bank mask forms.
//	EmulateActiveBoth  the hardware cannot sense both edges: clx programs level mode at
//	                   the asserted level (low, unless InterruptConfig.AssertedHigh) and
//	                   flips the polarity after each delivery. A pulse shorter than
//	                   dispatch + reconfigure can be missed.
//	EmulateDebounce    the hardware has no debounce: clx programs level mode aimed at a
//	                   departure from the last stable level, then at a return to it,
//	                   with a timer between; a change is delivered iff the new level
//	                   holds for the debounce timeout. Needs a pin read.
//	IndependentIO      I/O registers are separate: reads and writes skip the bank lock.
//
// Serialization. Every call into the controller for a bank is made holding
// that bank's lock, so a driver need not be safe for concurrent calls on
// one bank; calls for different banks may overlap. Calls arrive with one
// bank's pins only: a connection spanning banks is split per bank. Mask and
// clear take a 64-bit mask and return the pins that failed; a memory-mapped
// controller is expected never to fail, and a failure is reported as a
// controller-driver error.
//
// The primary interrupt. Start receives a PrimaryInterrupt; call Raise(bank)
// (or Raise(AllBanks)) whenever status & enabled & ¬masked becomes non-zero.
// Raise may be called from anywhere, including from inside a callback the
// framework is making (for example when UnmaskInterrupt unmasks a pin whose
// level is still asserted): it never blocks on the framework's locks, and
// the interrupt is then dispatched as the bank lock is released. A
// controller must raise before UnmaskInterrupt returns when the pin it
// unmasks is still active: that is what "fires again immediately" means for
// storm detection.
//
// A driver that panics does not take the framework down: the panic becomes
// a *DriverPanicError wrapping ErrControllerDriver, returned to the caller
// or, during dispatch, reported through Options.OnError and Errors.
//
// A failed call changes nothing in the framework's books that the
// hardware did not change: a failed mask leaves the pin unmasked, a failed
// unmask leaves it masked (the client may unmask again), a failed re-arm of
// an emulated active-both pin keeps the polarity. A dispatch pass in which
// the query, a clear or a re-arm failed is followed by one more pass, so
// that what the hardware still holds is not left waiting for the next
// interrupt: an edge whose status the query could not report is delivered
// then, and status a clear left is delivered again (the framework cannot
// tell it from a new edge). A controller that fails that pass too waits for
// its next interrupt; dispatch does not spin on it.
//
// # Dispatch
//
// On a primary interrupt, per bank and never concurrently for one bank:
// PreProcessInterrupt (if any); QueryActiveInterrupts with the set of
// enabled and unmasked pins (an answer outside it is reported as a
// controller-driver error, cleared, and not delivered); then for each
// active pin in ascending order — an edge pin is cleared, then its ISRs
// run (every ISR of a shared edge pin runs); a level pin is masked, its
// ISRs run until one claims, it is cleared and unmasked (after the DPC, for
// a bus-attached controller), and fires again if still asserted. ISRs run
// with no framework lock held: they may read and write I/O connections and
// mask or unmask interrupts. DPCs run after a claiming ISR, in a separate
// goroutine for memory-mapped controllers and inline in the bank worker for
// bus-attached ones.
//
// # Semantics (the decisions tests assert)
//
//   - Enable clears stale status and leaves the pin unmasked. Disable
//     discards configuration and status; edges while disabled are lost.
//   - Masking keeps configuration. Status that becomes active while masked
//     is retained: on unmask an edge pin is delivered exactly once, however
//     many edges arrived, and a level pin is delivered if still asserted.
//     A client's Mask/Unmask is on/off, not a counter; with shared
//     connections the pin is masked while any holder masks it. An
//     emulated active-both pin is level-sensitive in hardware: it holds a
//     net change of level while masked, and edges that return the line to
//     where it was are lost (as a pulse narrower than dispatch is).
//   - Storm: a level interrupt that fires again immediately, unclaimed,
//     more than Options.StormThreshold times in a row (default 1000) is
//     disabled; every holder's Err returns a *StormError. A delivery
//     after which the pin stays masked (its client masked it) or whose
//     unmask raises nothing ends the run.
//   - A panicking ISR or DPC is recovered; that connection is disabled (the
//     pin too, if it was the last) and its Err returns a *PanicError.
//   - Removal: a driver whose hardware has gone away answers every call
//     with an error wrapping ErrControllerGone. The first such answer
//     marks the framework gone (Framework.Gone, Framework.Err): every
//     interrupt connection fails with it, every later operation fails
//     with it without calling the controller, dispatch stops, and
//     closing connections and the framework programs nothing and
//     succeeds. A driver that learns of its removal by itself raises its
//     primary interrupt: the query that follows tells the framework.
//   - Debounce with EmulateDebounce on a level-sensitive connection
//     delivers once per stable assertion (the debounced level behaves as an
//     edge): level refiring needs hardware debounce.
//
// # I/O
//
// An I/O connection is an ordered pin list with a fixed direction. Bit i of
// every buffer is the i-th pin of the connection, least significant bit
// first; a buffer shorter than ceil(n/8) bytes fails with
// ErrBufferTooSmall and transfers nothing. Writing an input connection is
// denied; reading an output connection returns the latch (the values last
// written). A pin is in at most one exclusive connection; shared read-only
// input connections coexist with each other and with interrupts. Conflicts
// fail with ErrSharingViolation naming the pin and its holder. Closing
// returns pins to their default state unless the restriction is
// RestrictNoneAndPreserve.
//
// # Active-low
//
// Active-low is the framework's, not the controller's: a controller is
// always asked for the line's levels and edges. An active-low I/O
// connection inverts every bit it reads and writes (Initial too), so 1
// means the line is low. An active-low interrupt connection states its
// Polarity (and AssertedHigh) logically — ActiveHigh fires on the line's
// falling edge, or while it is low — and its routines see the logical
// Level. Connections sharing an interrupt must agree on the line's mode
// and polarity; each sees levels in its own sense.
//
// # Errors
//
// Every error wraps a sentinel (ErrInvalidArgument, ErrSharingViolation,
// ErrOperationDenied, ErrBufferTooSmall, ErrNotSupported,
// ErrControllerDriver, ErrInterruptStorm, ErrISRPanic, ErrClosed,
// ErrIncompleteDriver, ErrInterruptDisabled, ErrControllerGone) for errors.Is, usually inside
// a *PinError carrying the operation, pin, bank and holder for errors.As.
//
// # Lifetimes
//
// Framework.Close stops and releases the controller and waits (bounded by
// its context) for dispatch to finish; it must not be called from an ISR.
// InterruptConn.Close may be called from anywhere, including its own ISR:
// no routine of the connection starts after it returns. Every Close is
// idempotent.
//
// # What the framework costs
//
// A delivery through clx costs, beyond a bare handler on the same
// controller (query, clear, call): the event's description (level and
// controller timestamp), the bank lock taken around the controller calls
// and released around the routines, the recovery that contains a
// panicking controller (each call) or ISR, and the dispatch bookkeeping.
// A raise that finds the bank free dispatches at once; emulated
// active-both flips the sensed level before the routines run instead of
// masking around them. Options.StampDispatch adds a wall-clock read per
// pass. make bench prints each cost as a ratio to the bare controller,
// measured in the same run, and also against a bare path that keeps the
// contract's guarantees itself (a lock around the controller calls, a
// recover around each call and the handler): most of clx's cost over the
// bare controller is those guarantees, not the framework around them.
package clx
