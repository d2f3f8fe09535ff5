package main

import (
	"fmt"
	"io"
	"os"
	"sort"

	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/spf13/cobra"

	"github.com/sluice-gitops/sluice/serve/bootstrap"
	"github.com/sluice-gitops/sluice/translate"
)

func newTranslateCmd() *cobra.Command {
	var o output
	var gateway, controller, ageKeyFile string
	var regexSize int
	cmd := &cobra.Command{
		Use:   "translate DIR",
		Short: "Print the xDS resources of each Gateway, grouped by type, in Envoy's JSON/YAML shape",
		Long: `Translate DIR as 'sluice validate' does and print the xDS resources of each
Gateway, grouped by type, in Envoy's own YAML or JSON shape (private keys
redacted). -o table counts the resources of each Gateway by type; -o wide
lists them by name. A directory without a Gateway prints nothing (an empty
list with -o json) and says so on stderr.`,
		Example: `  sluice translate examples/quickstart
  sluice translate gateways/ --gateway default/eg -o json
  sluice translate gateways/ -o wide`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			keys, err := readAgeKeys(ageKeyFile, "--age-key-file")
			if err != nil {
				return err
			}
			res, err := translate.Translate(os.DirFS(args[0]), translate.Options{ControllerName: controller, Decryption: keys, RegexProgramSize: regexSize})
			if err != nil {
				return fmt.Errorf("translate %s: %w", args[0], err)
			}
			gws, err := selectGateways(res, gateway)
			if err != nil {
				return err
			}
			if gateway != "" && len(gws) == 0 {
				return fmt.Errorf("gateway %s is not in %s", gateway, args[0])
			}
			for _, w := range res.Warnings {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
			}
			if len(gws) == 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s has no Gateway that sluice serves: no xDS\n", args[0])
			}
			return printXDS(cmd.OutOrStdout(), &o, gws)
		},
	}
	addOutput(cmd, &o, "yaml", "json", "table", "wide")
	cmd.Flags().StringVar(&gateway, "gateway", "", "only this Gateway (NAMESPACE/NAME)")
	cmd.RegisterFlagCompletionFunc("gateway", completeDirGateways)
	cmd.Flags().IntVar(&regexSize, "regex-program-size", 0, "largest RE2 program size of a regex (Envoy's re2.max_program_size.error_level; default 100)")
	ageKeyFlag(cmd, &ageKeyFile)
	cmd.Flags().StringVar(&controller, "controller-name", "", "GatewayClass controllerName to manage (default "+translate.DefaultControllerName+")")
	return cmd
}

// selectGateways returns the gateways of res, or only the one named
// NAMESPACE/NAME.
func selectGateways(res *translate.Result, gateway string) ([]*translate.GatewayResult, error) {
	if gateway == "" {
		return res.Gateways, nil
	}
	ns, name, err := bootstrap.ParseGateway(gateway)
	if err != nil {
		return nil, err
	}
	for _, g := range res.Gateways {
		if g.Namespace == ns && g.Name == name {
			return []*translate.GatewayResult{g}, nil
		}
	}
	return nil, nil
}

// printXDS prints the gateways' xDS documents (yaml, json), or a table of
// them.
func printXDS(w io.Writer, o *output, gws []*translate.GatewayResult) error {
	if o.format == "table" || o.wide() {
		return printXDSTable(w, gws, o.wide())
	}
	if len(gws) == 0 {
		if o.format == "json" {
			_, err := io.WriteString(w, "[]\n")
			return err
		}
		return nil // "[]" would be a YAML document of its own
	}
	return translate.WriteDocuments(w, gws, o.format)
}

// xdsTypes are the resource types in the order Envoy takes them.
var xdsTypes = []struct{ url, name string }{
	{resourcev3.ListenerType, "listeners"}, {resourcev3.RouteType, "routes"},
	{resourcev3.ClusterType, "clusters"}, {resourcev3.EndpointType, "endpoints"},
	{resourcev3.SecretType, "secrets"},
}

// printXDSTable counts each gateway's resources by type, or with wide
// lists them by name.
func printXDSTable(w io.Writer, gws []*translate.GatewayResult, wide bool) error {
	tw := newTable(w)
	if wide {
		fmt.Fprintln(tw, "GATEWAY\tTYPE\tNAME")
	} else {
		fmt.Fprintln(tw, "GATEWAY\tLISTENERS\tROUTES\tCLUSTERS\tENDPOINTS\tSECRETS")
	}
	for _, g := range gws {
		res := g.Resources()
		if !wide {
			fmt.Fprint(tw, g.Key())
			for _, t := range xdsTypes {
				fmt.Fprintf(tw, "\t%d", len(res[t.url]))
			}
			fmt.Fprintln(tw)
			continue
		}
		for _, t := range xdsTypes {
			names := make([]string, 0, len(res[t.url]))
			for _, r := range res[t.url] {
				names = append(names, cachev3.GetResourceName(r))
			}
			sort.Strings(names)
			for _, n := range names {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", g.Key(), t.name, n)
			}
		}
	}
	return tw.Flush()
}
