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
	"syscall"

	"github.com/spf13/cobra"
)

// exitError carries a specific exit code (e.g. 3 for a failed
// comparison) up to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// app holds what every command shares: streams and the logger.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	logger         *slog.Logger
	getenv         func(string) string
	args           []string // the command line, for reports
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
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv, args: args}
	a.logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel(getenv("TRIAGE_LOG_LEVEL"))}))
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
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

func logLevel(s string) slog.Level {
	var l slog.Level
	if l.UnmarshalText([]byte(s)) != nil {
		return slog.LevelInfo
	}
	return l
}

// usageError marks a bad command line (exit code 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "triage",
		Short:         "AI-assisted complaint triage: classify, route, retrieve similar cases, draft replies",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(a.trainCommand(), a.classifyCommand(), a.evalCommand(), a.ingestCommand(), a.searchCommand(), a.suggestCommand(), a.serveCommand(), a.feedbackCommand())
	return root
}
