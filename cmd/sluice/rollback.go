package main

import (
	"fmt"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/sluice-gitops/sluice/serve"
	"github.com/sluice-gitops/sluice/serve/revisions"
)

func newRollbackCmd() *cobra.Command {
	var c adminClient
	cmd := &cobra.Command{
		Use:   "rollback REVISION",
		Short: "Serve an earlier commit of the branch and pin it: new commits wait as pending until sluice unpin",
		Long: `Serve an earlier commit of the branch and pin it.

REVISION is a history number as 'sluice revisions' prints it (#3, or 3), a
commit SHA or a prefix of one (7+ characters), or a ref of the branch
resolved in sluice's mirror: HEAD (the tip as last fetched), HEAD~1,
main~2. The commit must be in the mirror and verify (a trusted signature,
or the verified history of the applied commit). New commits keep being
fetched and recorded as pending, but are not served until 'sluice unpin'.
The pin survives restarts.`,
		Example: `  sluice rollback HEAD~1          # the commit before the tip of the branch
  sluice rollback '#3'            # history number 3 of sluice revisions
  sluice rollback 1c75a37a        # a commit by SHA prefix`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: c.completeRevisions(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var rec revisions.Record
			if err := c.do(http.MethodPost, "/api/v1/rollback", serve.RollbackRequest{Revision: args[0]}, &rec); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "pinned %s (%s): %s\n", rec.Revision.String(), rec.Subject, gatewaySummary(&rec))
			return nil
		},
	}
	c.flags(cmd)
	return cmd
}

func newUnpinCmd() *cobra.Command {
	var c adminClient
	cmd := &cobra.Command{
		Use:     "unpin",
		Short:   "Remove the pin of sluice rollback: the newest pending revision is served",
		Example: "  sluice unpin --token-file admin.token",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var rec *revisions.Record
			if err := c.do(http.MethodDelete, "/api/v1/pin", nil, &rec); err != nil {
				return err
			}
			if rec == nil {
				fmt.Fprintln(cmd.OutOrStdout(), "unpinned; no revision is served yet")
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "unpinned; serving %s (%s, %s)\n", rec.Revision.String(), rec.Subject, rec.State)
			return nil
		},
	}
	c.flags(cmd)
	return cmd
}

// gatewaySummary lists the gateways of a record with their versions.
func gatewaySummary(r *revisions.Record) string {
	if len(r.Gateways) == 0 {
		return "no gateways"
	}
	s := ""
	for i, g := range r.Gateways {
		if i > 0 {
			s += ", "
		}
		s += g.Gateway + " at " + g.Version
	}
	return s
}
