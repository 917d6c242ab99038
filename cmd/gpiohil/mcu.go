package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gpiohil/gpiohil/bench"
	"github.com/gpiohil/gpiohil/rig"
	"github.com/gpiohil/gpiohil/rig/mcu"
	"github.com/gpiohil/gpiohil/rig/virtual"
)

func newMCUCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "mcu",
		Short: "Serve a virtual companion MCU or talk to one",
		Long: `The companion MCU drives stimulus edges and timestamps the target's answers.
A real rig uses an RP2040 Pico running rig/firmware/pico; without hardware,
"gpiohil mcu virtual" serves the same firmware core on a pseudo-terminal.

Select a board with --port PATH (e.g. /dev/ttyACM0, or the path "mcu virtual"
printed) or --usb VID:PID[:SERIAL] (e.g. 2e8a:000a for a Pico).`,
	}
	c.AddCommand(newMCUVirtualCmd(), newMCUInfoCmd(), newMCUPingCmd())
	return c
}

// portFlags selects a board by path or by USB identity.
type portFlags struct {
	port string
	usb  string
}

func (p *portFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&p.port, "port", "", "serial port path of the MCU")
	c.Flags().StringVar(&p.usb, "usb", "", "find the MCU by USB VID:PID[:SERIAL] (hex)")
}

// open opens the MCU the flags select, holding its rig lock so that a
// ping never disturbs a check running on the same rig.
func (p *portFlags) open(ctx context.Context) (*rig.MCUPort, error) {
	sel := rig.MCUSelector{Port: p.port}
	switch {
	case p.port != "" && p.usb != "":
		return nil, usagef("give --port or --usb, not both")
	case p.port == "" && p.usb == "":
		return nil, usagef("no MCU: give --port PATH or --usb VID:PID[:SERIAL]")
	case p.usb != "":
		id, err := mcu.ParseUSBID(p.usb)
		if err != nil {
			return nil, usagef("--usb: %v", err)
		}
		sel.USB = id
	}
	return rig.OpenMCU(ctx, sel, "gpiohil mcu", mcu.Options{})
}

func newMCUVirtualCmd() *cobra.Command {
	var cfg virtual.Config
	c := &cobra.Command{
		Use:   "virtual",
		Short: "Serve a virtual MCU on a pseudo-terminal until interrupted",
		Long: `Serve a virtual MCU — the firmware core on a simulated board, ticking in
nanoseconds — on a pseudo-terminal. The tty path is the first line of standard
output; open it with --port in another command. Runs until interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v, err := virtual.New(cfg)
			if err != nil {
				return usagef("%v", err)
			}
			path, err := v.Start(cmd.Context())
			if err != nil {
				return err
			}
			defer v.Close()
			fmt.Fprintln(cmd.OutOrStdout(), path)
			<-cmd.Context().Done()
			return nil
		},
	}
	c.Flags().StringVar(&cfg.Name, "name", "virtual", "board name in the identify answer")
	c.Flags().IntVar(&cfg.Pins, "pins", virtual.DefaultPins, "number of pins (1..64)")
	return c
}

func newMCUInfoCmd() *cobra.Command {
	var pf portFlags
	c := &cobra.Command{
		Use:   "info",
		Short: "Print the MCU's identify answer",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := pf.open(cmd.Context())
			if err != nil {
				return err
			}
			defer cl.Close()
			id := cl.Identify()
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "port       %s\n", cl.Path())
			fmt.Fprintf(w, "board      %s\n", id.BoardName())
			fmt.Fprintf(w, "protocol   %d\n", id.Protocol)
			fmt.Fprintf(w, "firmware   %d.%d.%d\n", id.FwMajor, id.FwMinor, id.FwPatch)
			fmt.Fprintf(w, "tick rate  %d Hz\n", id.TickHz)
			fmt.Fprintf(w, "pins       %d\n", id.Pins)
			fmt.Fprintf(w, "caps       %s\n", id.Caps)
			return nil
		},
	}
	pf.add(c)
	return c
}

func newMCUPingCmd() *cobra.Command {
	var pf portFlags
	var n int
	c := &cobra.Command{
		Use:   "ping",
		Short: "Measure command round trips to the MCU",
		Long: `Send N pings, one after another, and print round-trip statistics: min, p50
(median), p99 and max, and any retransmissions or bad frames the link needed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n < 1 {
				return usagef("-n %d: want at least 1", n)
			}
			cl, err := pf.open(cmd.Context())
			if err != nil {
				return err
			}
			defer cl.Close()
			rtts := bench.NewDistribution()
			for i := 0; i < n; i++ {
				rtt, _, err := cl.Ping(cmd.Context())
				if err != nil {
					return fmt.Errorf("ping %d of %d: %w", i+1, n, err)
				}
				rtts.Record(rtt)
			}
			st := rtts.Stats()
			w := cmd.OutOrStdout()
			id := cl.Identify()
			fmt.Fprintf(w, "%d pings to %s (%s)\n", n, cl.Path(), id.BoardName())
			for _, name := range []string{"min", "p50", "p99", "max"} {
				fmt.Fprintf(w, "%-6s  %v\n", name, st.Duration(name))
			}
			if s := cl.Stats(); s.Retransmits > 0 || s.DecodeErrors > 0 {
				fmt.Fprintf(w, "link    %d retransmits, %d bad frames\n", s.Retransmits, s.DecodeErrors)
			}
			return nil
		},
	}
	pf.add(c)
	c.Flags().IntVarP(&n, "count", "n", 100, "number of pings")
	return c
}
