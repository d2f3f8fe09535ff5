package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluice-gitops/sluice/serve"
	"github.com/sluice-gitops/sluice/serve/publish"
)

func newStatusCmd() *cobra.Command {
	var c adminClient
	var o output
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show a running sluice in one screen: source, served revision, pin, gateways and Envoys",
		Long: `Show a running sluice in one screen (GET /api/v1/status): the source and how
its syncs go (last success and its age, last error, next sync), the served
revision, the pin and the revisions waiting behind it, and each gateway
with its Envoys and the version they run. -o wide prints full versions and
NACK errors.`,
		Example: `  sluice status
  sluice status -o wide
  sluice status -o json | jq .source.lastError`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var st serve.Status
			if err := c.get("/api/v1/status", &st); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if done, err := o.structured(out, st); done {
				return err
			}
			printStatus(out, &st, o.wide(), time.Now())
			return nil
		},
	}
	c.flags(cmd)
	addOutput(cmd, &o, "table", "wide", "json", "yaml")
	return cmd
}

// printStatus prints the source and the served revision as a list, then
// the gateways and their Envoys as tables.
func printStatus(w io.Writer, st *serve.Status, wide bool, now time.Time) {
	tw := newTable(w)
	src := st.Source
	where := src.URL
	if src.Branch != "" {
		where += " branch " + src.Branch
	}
	if src.Path != "" {
		where += " path " + src.Path
	}
	fmt.Fprintf(tw, "Source:\t%s %s (%s; webhook %s)\n", src.Kind, where, src.Schedule, onOff(src.Webhook))
	sync := "ok"
	if src.LastError != "" {
		sync = fmt.Sprintf("FAILING (%d in a row): %s", src.Failures, clip(src.LastError, 200))
	} else if src.LastSync == nil {
		sync = "not synced yet"
	}
	fmt.Fprintf(tw, "Sync:\t%s\n", sync)
	fmt.Fprintf(tw, "Last success:\t%s ago\n", ageOf(src.LastSuccess, now))
	if src.NextSync != nil {
		fmt.Fprintf(tw, "Next sync:\tin %s\n", age(now, *src.NextSync))
	}
	if r := st.Served; r != nil {
		fmt.Fprintf(tw, "Served:\t#%d %s %s %q (%s ago)\n", r.Sequence, shortSHA(r.SHA), r.State, clip(r.Subject, 60), age(r.FetchedAt, now))
	} else {
		fmt.Fprintln(tw, "Served:\tnothing yet")
	}
	if st.Pinned != "" {
		fmt.Fprintf(tw, "Pinned:\t%s; %d revision(s) pending behind it (sluice unpin serves the newest)\n", shortSHA(st.Pinned), st.Pending)
	} else {
		fmt.Fprintln(tw, "Pinned:\tno")
	}
	tw.Flush()
	fmt.Fprintln(w)
	printGateways(w, st.Gateways, wide)
	var nodes []publish.NodeStatus
	for _, g := range st.Gateways {
		nodes = append(nodes, g.Envoys...)
	}
	if len(nodes) > 0 {
		fmt.Fprintln(w)
		printNodes(w, nodes, wide, now)
	}
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// printGateways prints one row per gateway: its served version and how
// many of its Envoys run it.
func printGateways(w io.Writer, gws []serve.GatewayStatus, wide bool) {
	tw := newTable(w)
	fmt.Fprintln(tw, "GATEWAY\tVERSION\tENVOYS\tON VERSION\tNACKED")
	for _, g := range gws {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\n", g.Gateway, version(g.Version, wide), len(g.Envoys), g.OnVersion, g.Nacked)
	}
	tw.Flush()
}

// version shortens a snapshot version (<sha 12>-<hash 12>) to its commit
// part unless wide.
func version(v string, wide bool) string {
	if v == "" {
		return "-"
	}
	if !wide && len(v) > 12 {
		return v[:12] + "…"
	}
	return v
}

// printNodes prints one row per connected Envoy.
func printNodes(w io.Writer, nodes []publish.NodeStatus, wide bool, now time.Time) {
	tw := newTable(w)
	if wide {
		fmt.Fprintln(tw, "ENVOY\tGATEWAY\tVERSION\tSTREAMS\tLAST ACK\tLAST NACK\tNACK ERROR")
	} else {
		fmt.Fprintln(tw, "ENVOY\tGATEWAY\tVERSION\tLAST ACK\tLAST NACK")
	}
	for _, n := range nodes {
		if wide {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", n.Node, n.Gateway, version(n.Version, true), n.Streams,
				ageOf(n.LastAck, now), ageOf(n.LastNack, now), clip(n.NackError, 300))
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", clip(n.Node, 40), n.Gateway, version(n.Version, false), ageOf(n.LastAck, now), ageOf(n.LastNack, now))
	}
	tw.Flush()
}

func newNodesCmd() *cobra.Command {
	var c adminClient
	var o output
	cmd := &cobra.Command{
		Use:     "nodes",
		Short:   "List the Envoys connected to a running sluice, with the version each runs",
		Example: "  sluice nodes\n  sluice nodes -o wide   # with streams and the last NACK's error",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var nodes []publish.NodeStatus
			if err := c.get("/api/v1/nodes", &nodes); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if done, err := o.structured(out, nodes); done {
				return err
			}
			printNodes(out, nodes, o.wide(), time.Now())
			return nil
		},
	}
	c.flags(cmd)
	addOutput(cmd, &o, "table", "wide", "json", "yaml")
	return cmd
}
