package translate

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	jsonpatch "github.com/evanphx/json-patch/v5"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/sluice-gitops/sluice/translate/status"
	"github.com/sluice-gitops/sluice/translate/xds"
)

// Applying the JSON patches of one EnvoyPatchPolicy to a copy of a
// Gateway's xDS (envoypatchpolicy.go).

// patchFailure is why a policy's patches are not applied: a reason of
// the Programmed condition and a message naming the patch.
type patchFailure struct {
	reason, message string
}

// notFoundError: no resource of the patch's type has its name.
type notFoundError struct{ kind string }

func (e notFoundError) Error() string { return "the Gateway's xDS has no " + e.kind + " of this name" }

// protoPosition is protojson's prefix of an error: the package and a
// column of a document nobody sees. protojson picks a space or a
// no-break space at random, per build, to keep its text from being
// relied on.
var protoPosition = regexp.MustCompile(`^proto:[ \x{a0}]+(\(line \d+:\d+\):[ \x{a0}]+)?`)

// patchJSON is the JSON a patch sees: proto field names (filter_chains),
// as Envoy Gateway marshals resources for its patches.
var patchJSON = protojson.MarshalOptions{UseProtoNames: true}

// patchGateway returns a copy of g with every patch applied in order, or
// the first failure. The copy must still give a valid, consistent
// snapshot; g itself is not changed.
func patchGateway(g *GatewayResult, patches []egv1a1.EnvoyJSONPatchConfig) (*GatewayResult, *patchFailure) {
	set := patchSet{
		egv1a1.ListenerEnvoyResourceType:              messages(g.Listeners),
		egv1a1.RouteConfigurationEnvoyResourceType:    messages(g.Routes),
		egv1a1.ClusterEnvoyResourceType:               messages(g.Clusters),
		egv1a1.ClusterLoadAssignmentEnvoyResourceType: messages(g.Endpoints),
		egv1a1.SecretEnvoyResourceType:                messages(g.Secrets),
	}
	for i, p := range patches {
		if err := set.apply(p); err != nil {
			reason := status.ReasonInvalid
			if errors.As(err, new(notFoundError)) {
				reason = reasonResourceNotFound
			}
			return nil, &patchFailure{reason, fmt.Sprintf("spec.jsonPatches[%d] (%s %q): %v", i, patchResourceKinds[p.Type], p.Name, err)}
		}
	}
	if err := set.uniqueNames(); err != nil {
		return nil, &patchFailure{status.ReasonInvalid, err.Error()}
	}
	out := &GatewayResult{
		Namespace: g.Namespace, Name: g.Name,
		Listeners: typed[*listenerv3.Listener](set[egv1a1.ListenerEnvoyResourceType]),
		Routes:    typed[*routev3.RouteConfiguration](set[egv1a1.RouteConfigurationEnvoyResourceType]),
		Clusters:  typed[*clusterv3.Cluster](set[egv1a1.ClusterEnvoyResourceType]),
		Endpoints: typed[*endpointv3.ClusterLoadAssignment](set[egv1a1.ClusterLoadAssignmentEnvoyResourceType]),
		Secrets:   typed[*tlsv3.Secret](set[egv1a1.SecretEnvoyResourceType]),
	}
	if _, err := out.Snapshot("envoypatchpolicy"); err != nil {
		return nil, &patchFailure{status.ReasonInvalid, fmt.Sprintf("the patched xDS is not served: %v", err)}
	}
	return out, nil
}

// patchSet holds the resources of one Gateway by type URL, in order.
type patchSet map[egv1a1.EnvoyResourceType][]proto.Message

func messages[M proto.Message](ms []M) []proto.Message {
	out := make([]proto.Message, len(ms))
	for i, m := range ms {
		out[i] = m
	}
	return out
}

func typed[M proto.Message](ms []proto.Message) []M {
	if len(ms) == 0 {
		return nil
	}
	out := make([]M, len(ms))
	for i, m := range ms {
		out[i] = m.(M)
	}
	return out
}

func resourceName(m proto.Message) string { return cachev3.GetResourceName(m.(types.Resource)) }

// newResource is an empty message of a patch's resource type.
func newResource(t egv1a1.EnvoyResourceType) proto.Message {
	switch t {
	case egv1a1.ListenerEnvoyResourceType:
		return &listenerv3.Listener{}
	case egv1a1.RouteConfigurationEnvoyResourceType:
		return &routev3.RouteConfiguration{}
	case egv1a1.ClusterEnvoyResourceType:
		return &clusterv3.Cluster{}
	case egv1a1.ClusterLoadAssignmentEnvoyResourceType:
		return &endpointv3.ClusterLoadAssignment{}
	}
	return &tlsv3.Secret{}
}

// apply applies one patch. "add" with an empty path adds its value as a
// new resource; every other patch changes the resource of its name.
func (s patchSet) apply(p egv1a1.EnvoyJSONPatchConfig) error {
	op := p.Operation
	if err := checkOperation(op); err != nil {
		return err
	}
	list := s[p.Type]
	secret := p.Type == egv1a1.SecretEnvoyResourceType
	if secret && (op.Op == "copy" || op.Op == "move") {
		// A private key has no business in another field (Document
		// would redact it by value there, redact.go, but Envoy would
		// hold it where it was not meant to be).
		return fmt.Errorf("field operation.op: %s is not allowed on a Secret: it could expose key material", op.Op)
	}
	if op.Op == "add" && *op.Path == "" {
		m, err := readResource(p.Type, op.Value.Raw, secret)
		if err != nil {
			return err
		}
		name := resourceName(m)
		if slices.ContainsFunc(list, func(r proto.Message) bool { return resourceName(r) == name }) {
			return fmt.Errorf("a %s named %q exists already; patch it with a non-empty path", patchResourceKinds[p.Type], name)
		}
		s[p.Type] = append(list, m)
		return nil
	}
	i := slices.IndexFunc(list, func(r proto.Message) bool { return resourceName(r) == p.Name })
	if i < 0 {
		return notFoundError{patchResourceKinds[p.Type]}
	}
	doc, err := patchJSON.Marshal(list[i])
	if err != nil {
		return fmt.Errorf("marshal the resource: %w", err)
	}
	opts := jsonpatch.NewApplyOptions()
	// As Envoy Gateway: "add" creates the missing objects on its path.
	opts.EnsurePathExistsOnAdd = true
	doc, err = jsonpatch.Patch{jsonOperation(op)}.ApplyWithOptions(doc, opts)
	if err != nil {
		return err
	}
	m, err := readResource(p.Type, doc, secret)
	if err != nil {
		return err
	}
	list = slices.Clone(list) // the GatewayResult's own slice stays as it is
	list[i] = m
	s[p.Type] = list
	return nil
}

// readResource reads a patched (or added) resource and validates it,
// configs in Any fields included. The errors of a Secret do not quote
// it: they could show key material.
func readResource(t egv1a1.EnvoyResourceType, doc []byte, secret bool) (proto.Message, error) {
	m := newResource(t)
	if err := protojson.Unmarshal(doc, m); err != nil {
		if secret {
			return nil, errors.New("the result is not a valid Secret (details are withheld: they could show key material)")
		}
		return nil, fmt.Errorf("the result is not a valid %s: %s", patchResourceKinds[t], protoPosition.ReplaceAllString(strings.ReplaceAll(err.Error(), "\u00a0", " "), ""))
	}
	if err := xds.ValidateDeep(m); err != nil {
		if secret {
			return nil, errors.New("the result fails validation as a Secret (details are withheld: they could show key material)")
		}
		return nil, fmt.Errorf("the result fails validation: %w", err)
	}
	return m, nil
}

// checkOperation applies RFC 6902's rules on the members of an operation
// (as Envoy Gateway does before patching).
func checkOperation(op egv1a1.JSONPatchOperation) error {
	switch op.Op {
	case "add", "replace", "test":
		if op.Value == nil {
			return fmt.Errorf("field operation.value: required for op %s", op.Op)
		}
		if op.From != nil {
			return fmt.Errorf("field operation.from: must not be set for op %s", op.Op)
		}
	case "remove":
		if op.Value != nil || op.From != nil {
			return errors.New("field operation: value and from must not be set for op remove")
		}
	case "move", "copy":
		if op.From == nil {
			return fmt.Errorf("field operation.from: required for op %s", op.Op)
		}
		if op.Value != nil {
			return fmt.Errorf("field operation.value: must not be set for op %s", op.Op)
		}
	}
	if op.Path == nil {
		return errors.New("field operation.path: required")
	}
	return nil
}

// jsonOperation is op in RFC 6902's JSON form.
func jsonOperation(op egv1a1.JSONPatchOperation) jsonpatch.Operation {
	str := func(s string) *json.RawMessage {
		b, _ := json.Marshal(s) // a string always marshals
		r := json.RawMessage(b)
		return &r
	}
	out := jsonpatch.Operation{"op": str(string(op.Op)), "path": str(*op.Path)}
	if op.From != nil {
		out["from"] = str(*op.From)
	}
	if op.Value != nil {
		v := json.RawMessage(slices.Clone(op.Value.Raw))
		if len(v) == 0 {
			v = json.RawMessage("null")
		}
		out["value"] = &v
	}
	return out
}

// uniqueNames checks that no two resources of a type share a name, which
// a renaming or adding patch could cause.
func (s patchSet) uniqueNames() error {
	for _, t := range slices.Sorted(maps.Keys(s)) {
		seen := map[string]bool{}
		for _, m := range s[t] {
			n := resourceName(m)
			if seen[n] {
				return fmt.Errorf("the patched xDS has two %ss named %q", patchResourceKinds[t], n)
			}
			seen[n] = true
		}
	}
	return nil
}
