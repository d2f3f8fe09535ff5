package main

import (
	"fmt"
	"net/http"

	"github.com/spf13/cobra"
)

func newSyncCmd() *cobra.Command {
	var c adminClient
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Ask a running sluice to sync its source now, and wait for the result",
		Long: `Ask a running sluice to sync its source now (POST /api/v1/sync) and wait
for the sync to finish. It fails when the source cannot be reached; a new
commit that is rejected is a successful sync (see sluice revisions).`,
		Example: `  sluice sync --server http://127.0.0.1:19000 --token-file admin.token
  SLUICE_TOKEN=... sluice sync`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := c.do(http.MethodPost, "/api/v1/sync", nil, nil); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "synced")
			return nil
		},
	}
	c.flags(cmd)
	return cmd
}
