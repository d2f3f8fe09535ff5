package main

import (
	"fmt"
	"io"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/sluice-gitops/sluice/serve/revisions"
)

func newDiffCmd() *cobra.Command {
	var c adminClient
	var o output
	cmd := &cobra.Command{
		Use:   "diff FROM TO",
		Short: "Print the difference of the xDS two revisions produce, per gateway and resource",
		Long: `Print the difference of the xDS two revisions produce, as a running sluice
translates them: for each gateway that differs, a unified diff of each
added, removed or changed resource (Envoy's YAML, private keys redacted),
labelled a/GATEWAY/TYPE/NAME and b/GATEWAY/TYPE/NAME. -o table lists the
resources that differ instead.

A revision is a history number (#3), a SHA or a prefix of one, or a ref of
the branch resolved in sluice's mirror (HEAD, HEAD~1, main~2).

As kubectl diff, the exit status is 0 when the xDS is the same, 1 when it
differs, and 2 (or more) when the diff could not be made.`,
		Example: `  sluice diff HEAD~1 HEAD
  sluice diff '#3' '#5' -o table
  sluice diff 1c75a37a 90ca4796 -o json`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: c.completeRevisions(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var d revisions.RevisionDiff
			q := url.Values{"from": {args[0]}, "to": {args[1]}}
			if err := c.get("/api/v1/diff?"+q.Encode(), &d); err != nil {
				return exitError{code: 2, err: err}
			}
			out := cmd.OutOrStdout()
			done, err := o.structured(out, d)
			switch {
			case done:
			case o.format == "table":
				err = printDiffTable(out, &d)
			default:
				err = printDiff(out, &d)
			}
			if err != nil {
				return exitError{code: 2, err: err}
			}
			if len(d.Gateways) > 0 {
				return exitError{code: 1, msg: "the revisions differ"}
			}
			return nil
		},
	}
	c.flags(cmd)
	addOutput(cmd, &o, "text", "table", "json", "yaml")
	return cmd
}

// printDiff prints a RevisionDiff as a patch: "#" comment lines name the
// revisions and gateways, then come the resources' unified diffs.
func printDiff(w io.Writer, d *revisions.RevisionDiff) error {
	fmt.Fprintf(w, "# from %s\n# to   %s\n", d.From, d.To)
	if len(d.Gateways) == 0 {
		_, err := fmt.Fprintln(w, "# the xDS is the same")
		return err
	}
	for _, g := range d.Gateways {
		fmt.Fprintf(w, "# gateway %s: %s, %d resource(s)\n", g.Gateway, g.Change, len(g.Resources))
		for _, r := range g.Resources {
			if _, err := io.WriteString(w, r.Diff); err != nil {
				return err
			}
		}
	}
	return nil
}

// printDiffTable lists the resources that differ, one per row.
func printDiffTable(w io.Writer, d *revisions.RevisionDiff) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "GATEWAY\tTYPE\tNAME\tCHANGE")
	for _, g := range d.Gateways {
		for _, r := range g.Resources {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", g.Gateway, r.Type, r.Name, r.Change)
		}
	}
	return tw.Flush()
}
