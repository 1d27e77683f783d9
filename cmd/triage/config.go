package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/triagedesk/triage/internal/app"
)

func (a *tool) configCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "config",
		Short: "Print every configuration variable: name, flag, default, description",
		Long: `Print the configuration registry: every environment variable the service
and its commands read, with its flag, default and description
(docs/configuration.md is generated from the same registry).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return app.WriteRegistry(a.stdout) },
	}
}

func (a *tool) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the module version, commit, Go version and default model version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b := app.Build()
			fmt.Fprintf(a.stdout, "triage %s\ncommit   %s\ngo       %s %s/%s\n", b.Version, b.Commit, b.GoVersion, runtime.GOOS, runtime.GOARCH)
			key, err := app.DefaultModelKey()
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "model    default-%s (trained from the embedded datasets; TRIAGE_MODEL overrides)\n", key)
			return nil
		},
	}
}
