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
	if err := newRootCmd(os.Stdout, os.Stderr).ExecuteContext(ctx); err != nil {
		var ee exitError
		if !errors.As(err, &ee) {
			fmt.Fprintln(os.Stderr, "sluice:", err)
		}
		os.Exit(1)
	}
}

// exitError fails the command after it has already printed its findings.
type exitError struct{ msg string }

func (e exitError) Error() string { return e.msg }

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
		newVersionCmd(),
		newHealthcheckCmd(),
	)
	return root
}
