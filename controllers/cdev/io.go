package cdev

import (
	"context"
	"fmt"

	"github.com/warthog618/go-gpiocdev"

	"github.com/gpiohil/gpiohil/clx"
)

func (c *Controller) offsets(bank int, pins []int) []int {
	o := make([]int, len(pins))
	for i, p := range pins {
		o[i] = bank*c.perBank + p
	}
	return o
}

func bias(p clx.Pull) []gpiocdev.LineReqOption {
	switch p {
	case clx.PullUp:
		return []gpiocdev.LineReqOption{gpiocdev.WithPullUp}
	case clx.PullDown:
		return []gpiocdev.LineReqOption{gpiocdev.WithPullDown}
	case clx.PullNone:
		return []gpiocdev.LineReqOption{gpiocdev.WithBiasDisabled}
	}
	return nil
}

// ConnectIOPins implements clx.IOConnector: one line request per call.
func (c *Controller) ConnectIOPins(ctx context.Context, r *clx.IORequest) error {
	offs := c.offsets(r.Bank, r.Pins)
	opts := []gpiocdev.LineReqOption{gpiocdev.WithConsumer(c.cfg.Consumer)}
	opts = append(opts, bias(r.Pull)...)
	values := make([]int, len(offs))
	if r.Direction == clx.Output {
		for i := range values {
			values[i] = int(r.Initial >> i & 1)
		}
		opts = append(opts, gpiocdev.AsOutput(values...))
		switch r.Drive {
		case clx.DriveOpenDrain:
			opts = append(opts, gpiocdev.AsOpenDrain)
		case clx.DriveOpenSource:
			opts = append(opts, gpiocdev.AsOpenSource)
		case clx.DrivePushPull:
			opts = append(opts, gpiocdev.AsPushPull)
		}
	} else {
		opts = append(opts, gpiocdev.AsInput)
		if r.Debounce > 0 {
			opts = append(opts, gpiocdev.WithDebounce(r.Debounce))
		}
	}
	// A line whose interrupt was just disabled may still be being
	// released (see DisableInterrupt).
	for _, o := range offs {
		if err := c.waitReleased(o); err != nil {
			return err
		}
	}
	lines, err := c.chip.RequestLines(offs, opts...)
	if err != nil {
		return fmt.Errorf("cdev: request lines %v of %s: %w", offs, c.chip.Name, kernelErr(err))
	}
	req := &ioRequest{lines: lines, offsets: offs, values: values, output: r.Direction == clx.Output}
	c.mu.Lock()
	for _, o := range offs {
		c.io[o] = req
	}
	c.mu.Unlock()
	return nil
}

// DisconnectIOPins implements clx.IODisconnector: requests whose lines are
// all released are closed; outputs are first turned back into inputs
// without bias unless r.Preserve.
func (c *Controller) DisconnectIOPins(ctx context.Context, r *clx.IORequest) error {
	offs := c.offsets(r.Bank, r.Pins)
	drop := map[int]bool{}
	for _, o := range offs {
		drop[o] = true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var first error
	for _, req := range uniqueRequests(c.io) {
		all := true
		for _, o := range req.offsets {
			all = all && drop[o]
		}
		if !all {
			continue
		}
		if req.output && !r.Preserve {
			if err := req.lines.Reconfigure(gpiocdev.AsInput, gpiocdev.WithBiasDisabled); err != nil && first == nil {
				first = fmt.Errorf("cdev: release lines %v: %w", req.offsets, err)
			}
		}
		if err := req.lines.Close(); err != nil && first == nil {
			first = fmt.Errorf("cdev: close lines %v: %w", req.offsets, err)
		}
		for _, o := range req.offsets {
			delete(c.io, o)
		}
	}
	return first
}

// ReadPins implements clx.PinReader: one read per request (one per bank
// for a connection's pins).
func (c *Controller) ReadPins(ctx context.Context, bank int, pins []int) (uint64, error) {
	offs := c.offsets(bank, pins)
	c.mu.Lock()
	defer c.mu.Unlock()
	var v uint64
	read := map[*ioRequest][]int{}
	for i, o := range offs {
		req := c.io[o]
		if req == nil {
			if in := c.intrAt(o); in != nil {
				v |= uint64(in.latch.level) << i
				continue
			}
			return 0, fmt.Errorf("cdev: line %d is not requested: %w", o, clx.ErrInvalidArgument)
		}
		vals, ok := read[req]
		if !ok {
			vals = make([]int, len(req.offsets))
			if err := req.lines.Values(vals); err != nil {
				return 0, fmt.Errorf("cdev: read lines %v: %w", req.offsets, kernelErr(err))
			}
			read[req] = vals
		}
		for k, ro := range req.offsets {
			if ro == o {
				v |= uint64(vals[k]&1) << i
			}
		}
	}
	return v, nil
}

// WritePins implements clx.PinWriter: one write per request.
func (c *Controller) WritePins(ctx context.Context, bank int, pins []int, values uint64) error {
	offs := c.offsets(bank, pins)
	c.mu.Lock()
	defer c.mu.Unlock()
	touched := map[*ioRequest]bool{}
	for i, o := range offs {
		req := c.io[o]
		if req == nil || !req.output {
			return fmt.Errorf("cdev: line %d is not an output: %w", o, clx.ErrInvalidArgument)
		}
		for k, ro := range req.offsets {
			if ro == o {
				req.values[k] = int(values >> i & 1)
			}
		}
		touched[req] = true
	}
	for req := range touched {
		if err := req.lines.SetValues(req.values); err != nil {
			return fmt.Errorf("cdev: write lines %v: %w", req.offsets, kernelErr(err))
		}
	}
	return nil
}
