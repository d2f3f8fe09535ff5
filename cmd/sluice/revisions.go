package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluice-gitops/sluice/serve/revisions"
)

func newRevisionsCmd() *cobra.Command {
	var c adminClient
	var o output
	var limit int
	cmd := &cobra.Command{
		Use:   "revisions",
		Short: "List the revisions a running sluice has seen, newest first, with their state and health",
		Long: `List the revisions a running sluice has seen, newest first. The # column is
the history number that 'sluice rollback' and 'sluice diff' accept; AGE
counts from when the revision was fetched; ACK/NACK/PEND sums the Envoys of
every gateway. -o wide adds the full revision, the author, each gateway and
the reason of the state.`,
		Example: `  sluice revisions
  sluice revisions --limit 5 -o wide
  sluice revisions -o json | jq '.[0].gateways'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var recs []*revisions.Record
			if err := c.get("/api/v1/revisions?limit="+strconv.Itoa(limit), &recs); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if done, err := o.structured(out, recs); done {
				return err
			}
			if len(recs) == 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "no revision yet: see sluice status for the source")
				return nil
			}
			printRevisions(out, recs, o.wide(), time.Now())
			return nil
		},
	}
	c.flags(cmd)
	addOutput(cmd, &o, "table", "wide", "json", "yaml")
	cmd.Flags().IntVar(&limit, "limit", 0, "print only the newest N revisions (0: all)")
	return cmd
}

// printRevisions prints the history as a table: narrow (under 120
// columns) or wide.
func printRevisions(w io.Writer, recs []*revisions.Record, wide bool, now time.Time) {
	tw := newTable(w)
	if wide {
		fmt.Fprintln(tw, "#\tREVISION\tAGE\tSTATE\tAUTHOR\tSIGNER\tSUBJECT\tGATEWAYS (ACK/NACK/PENDING)\tREASON")
	} else {
		fmt.Fprintln(tw, "#\tSHA\tAGE\tSTATE\tSIGNER\tSUBJECT\tACK/NACK/PEND")
	}
	for _, r := range recs {
		if wide {
			var gws []string
			for _, g := range r.Gateways {
				gws = append(gws, fmt.Sprintf("%s %d/%d/%d", g.Gateway, len(g.Acked), len(g.Nacked), len(g.Pending)))
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Sequence, r.Revision.String(), age(r.FetchedAt, now), r.State,
				clip(r.Author.Name, 30), clip(r.SignedBy(), 40), r.Subject, strings.Join(gws, ", "), clip(r.Reason, 200))
			continue
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Sequence, shortSHA(r.SHA), age(r.FetchedAt, now), r.State,
			clip(r.SignedBy(), 24), clip(r.Subject, 36), ackSummary(r))
	}
	tw.Flush()
}

// ackSummary sums ACKs, NACKs and pending Envoys over the gateways; "-"
// for a revision that reached none.
func ackSummary(r *revisions.Record) string {
	if len(r.Gateways) == 0 {
		return "-"
	}
	var a, n, p int
	for _, g := range r.Gateways {
		a, n, p = a+len(g.Acked), n+len(g.Nacked), p+len(g.Pending)
	}
	return fmt.Sprintf("%d/%d/%d", a, n, p)
}
