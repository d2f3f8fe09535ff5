package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/sluice-gitops/sluice/serve/bootstrap"
	"github.com/sluice-gitops/sluice/translate"
)

func newTranslateCmd() *cobra.Command {
	var output, gateway, controller, ageKeyFile string
	cmd := &cobra.Command{
		Use:   "translate DIR",
		Short: "Print the xDS resources of each Gateway, grouped by type, in Envoy's JSON/YAML shape",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			keys, err := readAgeKeys(ageKeyFile, "--age-key-file")
			if err != nil {
				return err
			}
			res, err := translate.Translate(os.DirFS(args[0]), translate.Options{ControllerName: controller, Decryption: keys})
			if err != nil {
				return fmt.Errorf("translate %s: %w", args[0], err)
			}
			var docs []*translate.XDSDocument
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
				d, err := g.Document()
				if err != nil {
					return err
				}
				docs = append(docs, d)
			}
			if gateway != "" && len(docs) == 0 {
				return fmt.Errorf("gateway %s is not in %s", gateway, args[0])
			}
			for _, w := range res.Warnings {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
			}
			out := cmd.OutOrStdout()
			switch output {
			case "json":
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(docs)
			case "yaml", "":
				b, err := yaml.Marshal(docs)
				if err != nil {
					return err
				}
				_, err = out.Write(b)
				return err
			default:
				return fmt.Errorf("unknown output format %q (yaml, json)", output)
			}
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "yaml", "output format: yaml or json")
	cmd.Flags().StringVar(&gateway, "gateway", "", "only this Gateway (NAMESPACE/NAME)")
	ageKeyFlag(cmd, &ageKeyFile)
	cmd.Flags().StringVar(&controller, "controller-name", "", "GatewayClass controllerName to manage (default "+translate.DefaultControllerName+")")
	return cmd
}
