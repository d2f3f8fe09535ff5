package main

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/sluice-gitops/sluice/serve/bootstrap"
	"github.com/sluice-gitops/sluice/serve/publish"
)

func newBootstrapCmd() *cobra.Command {
	var opts bootstrap.Options
	var o output
	cmd := &cobra.Command{
		Use:   "bootstrap --gateway NS/NAME",
		Short: "Print an Envoy bootstrap (YAML or JSON) that dials sluice over ADS for one Gateway",
		Example: `  sluice bootstrap --gateway default/eg --xds-address 10.0.0.5:18000 > envoy.yaml
  sluice bootstrap --gateway default/eg --xds-ca-file /etc/envoy/ca.crt -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := bootstrap.Build(opts)
			if err != nil {
				return err
			}
			if err := checkClientCert(opts.XDSCertFile, b.GetNode().GetCluster()); err != nil {
				return err
			}
			if o.format == "json" {
				out, err := protojson.MarshalOptions{Multiline: true, UseProtoNames: true}.Marshal(b)
				if err == nil {
					_, err = fmt.Fprintln(cmd.OutOrStdout(), string(out))
				}
				return err
			}
			out, err := bootstrap.YAML(b)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	}
	addOutput(cmd, &o, "yaml", "json")
	cmd.Flags().StringVar(&opts.Gateway, "gateway", "", "the Gateway this Envoy serves, NAMESPACE/NAME (sent as node.cluster)")
	cmd.Flags().StringVar(&opts.XDSAddress, "xds-address", bootstrap.DefaultXDSAddress, "sluice's xDS address, HOST:PORT")
	cmd.Flags().StringVar(&opts.NodeID, "node-id", "", "node.id (default envoy-NS-NAME; Envoy's --service-node overrides it)")
	cmd.Flags().StringVar(&opts.AdminAddress, "admin-address", bootstrap.DefaultAdminAddress, "Envoy's admin listener, IP:PORT")
	cmd.Flags().StringVar(&opts.XDSCAFile, "xds-ca-file", "", "dial sluice over TLS, trusting the CA certificates in this PEM file (a path on Envoy's host)")
	cmd.Flags().StringVar(&opts.XDSCertFile, "xds-cert-file", "", "client certificate Envoy presents to sluice (mTLS; needs --xds-ca-file and --xds-key-file)")
	cmd.Flags().StringVar(&opts.XDSKeyFile, "xds-key-file", "", "key of --xds-cert-file")
	cmd.Flags().Uint32Var(&opts.RegexProgramSize, "regex-program-size", 0, "raise the largest RE2 program size Envoy accepts in a regex (runtime re2.max_program_size.error_level, 100 by default); set limits.regexProgramSize in sluice.yaml to the same")
	cmd.MarkFlagRequired("gateway")
	// --gateway completes with the gateways of the server at $SLUICE_SERVER.
	c := adminClient{server: envOr("SLUICE_SERVER", defaultServer)}
	cmd.RegisterFlagCompletionFunc("gateway", c.completeServedGateways)
	return cmd
}

// checkClientCert checks, when the client certificate can be read here,
// that it names gateway as sluice demands under mTLS (publish.Access): a
// URI SAN spiffe://TRUST-DOMAIN/ns/NAMESPACE/gateway/NAME. A file that is
// not here (a path on Envoy's host) is not checked.
func checkClientCert(file, gateway string) error {
	if file == "" {
		return nil
	}
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("xds cert file: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return fmt.Errorf("xds cert file %s: no PEM certificate", file)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return fmt.Errorf("xds cert file %s: %w", file, err)
	}
	names := publish.CertGateways(cert)
	ns, name, _ := strings.Cut(gateway, "/")
	if !slices.Contains(names, gateway) {
		return fmt.Errorf("xds cert file %s names gateways %v, not %s: sluice (with xds.tls.clientCAFile) would refuse this Envoy; give the certificate the URI SAN spiffe://TRUST-DOMAIN/ns/%s/gateway/%s",
			file, names, gateway, ns, name)
	}
	return nil
}
