package main

import (
	"fmt"
	"os"
	"sort"

	"github.com/spf13/cobra"

	"github.com/sluice-gitops/sluice/serve"
	"github.com/sluice-gitops/sluice/serve/revisions"
	"github.com/sluice-gitops/sluice/translate"
)

// completeRevisions completes the first n arguments with the SHAs of the
// running server's history (short, described by number, state and
// subject) and HEAD~1.
func (c *adminClient) completeRevisions(n int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) >= n {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var recs []*revisions.Record
		if err := c.get("/api/v1/revisions?limit=50", &recs); err != nil {
			cobra.CompDebugln("sluice: "+err.Error(), true)
			return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
		}
		out := []string{"HEAD\tthe tip of the branch", "HEAD~1\tthe commit before the tip"}
		seen := map[string]bool{}
		for _, r := range recs {
			if seen[r.SHA] {
				continue
			}
			seen[r.SHA] = true
			out = append(out, fmt.Sprintf("%s\t#%d %s: %s", shortSHA(r.SHA), r.Sequence, r.State, clip(r.Subject, 50)))
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder
	}
}

// completeServedGateways completes --gateway with the gateways of a
// running server (those served and those Envoys asked for).
func (c *adminClient) completeServedGateways(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	var st serve.Status
	if err := c.get("/api/v1/status", &st); err != nil {
		cobra.CompDebugln("sluice: "+err.Error(), true)
		return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
	}
	var out []string
	for _, g := range st.Gateways {
		out = append(out, fmt.Sprintf("%s\t%d Envoy(s)", g.Gateway, len(g.Envoys)))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeDirGateways completes --gateway with the Gateways of the
// directory given as the first argument, translated on the spot.
func completeDirGateways(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) == 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	res, err := translate.Translate(os.DirFS(args[0]), translate.Options{})
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
	}
	var out []string
	for _, g := range res.Gateways {
		out = append(out, g.Namespace+"/"+g.Name)
	}
	sort.Strings(out)
	return out, cobra.ShellCompDirectiveNoFileComp
}
