package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gpiohil/gpiohil/fixtures"
)

func newFixtureCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "fixture",
		Short: "List and validate rig fixtures",
		Long:  "Rig fixtures describe a rig in YAML; fixtures/README.md documents every field.",
	}
	c.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the embedded fixtures",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			for _, n := range fixtures.Embedded() {
				fx, err := fixtures.Load(n)
				if err != nil {
					return err
				}
				note := ""
				if fx.Status == "untested" {
					note = " (not yet run on hardware)"
				}
				fmt.Fprintf(w, "%-20s %-9s %s%s\n", n, fx.Tier, fx.Description, note)
			}
			return nil
		},
	})
	c.AddCommand(&cobra.Command{
		Use:   "validate FILE|NAME...",
		Short: "Validate fixtures, reporting every problem with file:line",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var bad []string
			for _, a := range args {
				fx, err := fixtures.Load(a)
				if err != nil {
					bad = append(bad, err.Error())
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (%s tier, %d wires, %d probe pairs)\n", a, fx.Tier, len(fx.Wires), len(fx.Probes))
			}
			if len(bad) > 0 {
				return usagef("%s", strings.Join(bad, "\n"))
			}
			return nil
		},
	})
	c.AddCommand(&cobra.Command{
		Use:   "show NAME",
		Short: "Print an embedded fixture's YAML (a starting point for your own rig)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := fixtures.Source(args[0])
			if errors.Is(err, os.ErrNotExist) {
				return usagef("no embedded fixture %q (have: %s)", args[0], strings.Join(fixtures.Embedded(), ", "))
			}
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(data)
			return err
		},
	})
	return c
}
