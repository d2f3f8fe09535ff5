package publish

import (
	"fmt"
	"slices"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/runtime/protoiface"
)

// A resource is marshalled once per snapshot, whatever the number of
// Envoys it is sent to: premarshal swaps every resource of a checked
// snapshot for a marshaledResource, a view of the same message whose
// fast-path Marshal returns bytes encoded once, deterministically, when
// the snapshot is built (shared by every response: they must not be
// written to). setSnapshot, the one path that publishes a snapshot
// (apply, rollback, the empty snapshot of an unknown gateway), calls it.

// premarshal replaces the resources of snap, in place, by marshaledResources,
// and reports whether it replaced any. Call it after the snapshot is
// checked (Consistent looks at concrete types) and before it is published:
// it writes to the snapshot only while some resource is not premarshalled
// yet, so setting a published snapshot again is safe.
func premarshal(snap *cachev3.Snapshot) (changed bool, err error) {
	opts := proto.MarshalOptions{Deterministic: true}
	for i := range snap.Resources {
		for name, r := range snap.Resources[i].Items {
			if _, ok := r.Resource.(*marshaledResource); ok {
				continue
			}
			b, err := opts.Marshal(r.Resource)
			if err != nil {
				return changed, fmt.Errorf("marshal %s: %w", name, err)
			}
			changed = true
			r.Resource = &marshaledResource{msg: r.Resource, name: name, bytes: slices.Clip(b), hash: hashOf(b)}
			snap.Resources[i].Items[name] = r
		}
	}
	return changed, nil
}

// marshaledResource is an xDS resource with its wire bytes. Reading it
// through reflection reads the resource; marshalling it returns the bytes.
// It must not be modified.
type marshaledResource struct {
	msg   types.Resource
	name  string
	bytes []byte
	// hash is the resource's version: a hash of bytes.
	hash string
}

var _ types.ResourceWithName = (*marshaledResource)(nil)

// GetName returns the resource name, so that cachev3.GetResourceName works
// on it (for endpoints too, whose name is their cluster name).
func (m *marshaledResource) GetName() string { return m.name }

// Unwrap returns the resource.
func (m *marshaledResource) Unwrap() types.Resource { return m.msg }

// ProtoReflect returns the resource's reflection with the fast-path
// methods replaced.
func (m *marshaledResource) ProtoReflect() protoreflect.Message {
	return marshaledReflect{Message: m.msg.ProtoReflect(), m: m}
}

// marshaledReflect delegates to the resource's reflection, except for
// ProtoMethods: Size and Marshal use the stored bytes, and the rest (merge,
// unmarshal, equality) takes protobuf's reflection-based slow path.
type marshaledReflect struct {
	protoreflect.Message
	m *marshaledResource
}

func (r marshaledReflect) ProtoMethods() *protoiface.Methods { return &marshaledMethods }

// marshaledMethods has no Size: proto.Marshal would then allocate a
// buffer of that size, and go-control-plane marshals into a fresh one per
// response. Without Size, Marshal is given an empty buffer and returns the
// stored bytes themselves, not a copy; they are clipped, so a caller that
// appends to them gets a new array. proto.Size falls back to Marshal.
var marshaledMethods = protoiface.Methods{
	Flags: protoiface.SupportMarshalDeterministic,
	Marshal: func(in protoiface.MarshalInput) (protoiface.MarshalOutput, error) {
		b := in.Message.(marshaledReflect).m.bytes
		if len(in.Buf) == 0 {
			return protoiface.MarshalOutput{Buf: b}, nil
		}
		return protoiface.MarshalOutput{Buf: append(in.Buf, b...)}, nil
	},
	CheckInitialized: func(protoiface.CheckInitializedInput) (protoiface.CheckInitializedOutput, error) {
		return protoiface.CheckInitializedOutput{}, nil
	},
}
