package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/sluice-gitops/sluice/serve/revisions"
)

func newDiffCmd() *cobra.Command {
	var c adminClient
	var output string
	cmd := &cobra.Command{
		Use:   "diff SHA1 SHA2",
		Short: "Print the difference of the xDS two revisions produce, per gateway and resource",
		Long: `Print the difference of the xDS two revisions produce, as a running sluice
translates them: for each gateway that differs, a unified diff of each
added, removed or changed resource (Envoy's YAML, private keys redacted),
labelled a/GATEWAY/TYPE/NAME and b/GATEWAY/TYPE/NAME. SHAs may be
abbreviated. The exit status is 0 whether or not the revisions differ.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "text" && output != "json" {
				return fmt.Errorf("unknown output format %q: use text or json", output)
			}
			var d revisions.RevisionDiff
			q := url.Values{"from": {args[0]}, "to": {args[1]}}
			if err := c.get("/api/v1/diff?"+q.Encode(), &d); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if output == "json" {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(d)
			}
			return printDiff(out, &d)
		},
	}
	c.flags(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
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
