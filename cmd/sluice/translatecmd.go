package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/sluice-gitops/sluice/serve/bootstrap"
	"github.com/sluice-gitops/sluice/translate"
)

func newTranslateCmd() *cobra.Command {
	var output, gateway, controller string
	cmd := &cobra.Command{
		Use:   "translate DIR",
		Short: "Print the xDS resources of each Gateway, grouped by type, in Envoy's JSON/YAML shape",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := translate.Translate(os.DirFS(args[0]), translate.Options{ControllerName: controller})
			if err != nil {
				return fmt.Errorf("translate %s: %w", args[0], err)
			}
			var gws []*translate.GatewayResult
			for _, g := range res.Gateways {
				if gateway != "" {
					ns, name, err := bootstrap.ParseGateway(gateway)
					if err != nil {
						return err
					}
					if g.Namespace != ns || g.Name != name {
						continue
					}
				}
				gws = append(gws, g)
			}
			if gateway != "" && len(gws) == 0 {
				return fmt.Errorf("gateway %s is not in %s", gateway, args[0])
			}
			for _, w := range res.Warnings {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
			}
			if output == "" {
				output = "yaml"
			}
			return translate.WriteDocuments(cmd.OutOrStdout(), gws, output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "yaml", "output format: yaml or json")
	cmd.Flags().StringVar(&gateway, "gateway", "", "only this Gateway (NAMESPACE/NAME)")
	cmd.Flags().StringVar(&controller, "controller-name", "", "GatewayClass controllerName to manage (default "+translate.DefaultControllerName+")")
	return cmd
}
