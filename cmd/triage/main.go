// Command triage is the complaint-triage service and its tools: train,
// classify, eval, ingest, search and suggest (serve as it lands).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/triagedesk/triage/internal/app"
)

// exitError carries a specific exit code (e.g. 3 for a failed
// comparison) up to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// tool holds what every command shares: streams, the logger and the one
// configuration every command's flags are bound to.
type tool struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	logger         *slog.Logger
	level          *slog.LevelVar
	getenv         func(string) string
	args           []string // the command line, for reports
	cfg            app.Config
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run executes the CLI and returns the process exit code: 0 success,
// 1 failure, 2 usage error, or a command's own code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &tool{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv, args: args, cfg: app.Defaults(), level: new(slog.LevelVar)}
	a.logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: a.level}))
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "triage:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var ue *usageError
	if errors.As(err, &ue) || strings.HasPrefix(err.Error(), "unknown command") {
		return 2
	}
	return 1
}

// usageError marks a bad command line (exit code 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }

func (a *tool) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "triage",
		Short:         "AI-assisted complaint triage: classify, route, retrieve similar cases, draft replies",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	// Every command reads and checks the whole configuration first, so a
	// bad variable stops any of them, naming it (exit code 2).
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if err := a.cfg.Load(a.getenv, cmd.Flags().Changed); err != nil {
			return &usageError{err}
		}
		a.level.Set(a.cfg.Level())
		return nil
	}
	root.AddCommand(a.trainCommand(), a.classifyCommand(), a.evalCommand(), a.ingestCommand(), a.searchCommand(), a.suggestCommand(),
		a.serveCommand(), a.feedbackCommand(), a.configCommand(), a.versionCommand())
	for _, c := range root.Commands() {
		requiredFlagsAreUsage(c)
	}
	return root
}

// requiredFlagsAreUsage makes a missing required flag a usage error (exit
// code 2), as cobra reports it from Execute without a hook of its own.
func requiredFlagsAreUsage(cmd *cobra.Command) {
	if cmd.RunE != nil {
		pre := cmd.PreRunE
		cmd.PreRunE = func(c *cobra.Command, args []string) error {
			if err := c.ValidateRequiredFlags(); err != nil {
				return &usageError{err}
			}
			if pre != nil {
				return pre(c, args)
			}
			return nil
		}
	}
	for _, sub := range cmd.Commands() {
		requiredFlagsAreUsage(sub)
	}
}

// open loads the taxonomy for a command; the caller opens the parts it
// needs and closes the app.
func (a *tool) open() (*app.App, error) {
	return app.New(a.cfg, a.logger)
}
