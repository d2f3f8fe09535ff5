package translate

import (
	"io"

	"sigs.k8s.io/yaml"

	"github.com/sluice-gitops/sluice/translate/status"
	"github.com/sluice-gitops/sluice/translate/xds"
)

// GatewayResult holds the xDS resources of one Gateway, each list sorted
// by resource name, as the IR → xDS stage builds them (translate/xds).
type GatewayResult = xds.Gateway

// XDSDocument is the printable form of one Gateway's resources.
type XDSDocument = xds.Document

// goldenView is what golden files and `sluice translate` print.
type goldenView struct {
	Status   []*status.Object `json:"status"`
	Warnings []string         `json:"warnings,omitempty"`
	XDS      []*XDSDocument   `json:"xds"`
}

// YAML prints status, warnings and the xDS of every Gateway as YAML
// with sorted keys. The output is byte-for-byte stable.
func (r *Result) YAML() ([]byte, error) {
	// Empty lists print as [] rather than null.
	v := goldenView{Status: r.Status, Warnings: r.Warnings, XDS: []*XDSDocument{}}
	if v.Status == nil {
		v.Status = []*status.Object{}
	}
	for _, g := range r.Gateways {
		d, err := g.Document()
		if err != nil {
			return nil, err
		}
		v.XDS = append(v.XDS, d)
	}
	return yaml.Marshal(v)
}

// WriteDocuments writes the xDS of each gateway to w as format (json or
// yaml), one resource at a time (xds.WriteDocuments).
func WriteDocuments(w io.Writer, gws []*GatewayResult, format string) error {
	return xds.WriteDocuments(w, gws, format)
}
