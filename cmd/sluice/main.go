package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/sluice-gitops/sluice/serve/buildinfo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := newRootCmd(os.Stdout, os.Stderr).ExecuteContext(ctx)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode prints err (unless the command already printed its findings)
// and returns the process's exit status: 0 without an error, the code of
// an exitError, else 1.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ee exitError
	if !errors.As(err, &ee) {
		fmt.Fprintln(stderr, "sluice:", err)
		return 1
	}
	if ee.err != nil {
		fmt.Fprintln(stderr, "sluice:", ee.err)
	}
	if ee.code == 0 {
		return 1
	}
	return ee.code
}

// exitError fails the command with its own exit status: after it has
// printed its findings (err nil), or with err printed (kubectl diff's 2 for
// an error, where 1 means "differences").
type exitError struct {
	msg  string
	code int // 0 means 1
	err  error
}

func (e exitError) Error() string {
	if e.err != nil {
		return e.err.Error()
	}
	return e.msg
}

func (e exitError) Unwrap() error { return e.err }

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "sluice",
		Short:         "A GitOps control plane for Envoy: Gateway API YAML in Git, xDS out",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       buildinfo.Read().Short(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		newServeCmd(),
		newValidateCmd(),
		newTranslateCmd(),
		newBootstrapCmd(),
		newRevisionsCmd(),
		newRollbackCmd(),
		newUnpinCmd(),
		newDiffCmd(),
		newSyncCmd(),
		newStatusCmd(),
		newNodesCmd(),
		newVersionCmd(),
		newHealthcheckCmd(),
	)
	return root
}
