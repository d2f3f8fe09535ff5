package publish

import (
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
)

// A SotW response is every resource of a type, the same bytes for every
// Envoy of a gateway but the nonce. gRPC's codec would encode it again for
// each Envoy into a buffer held until the connection writes it: 1,000
// Envoys that all catch up at once hold 1,000 copies of the snapshot. ADS
// streams send an encodedResponse instead: the type's response encoded
// once, without a nonce, and the stream's nonce field after it (protobuf
// fields may come in any order), which adsCodec hands gRPC as they are.

// encodedResponse is a DiscoveryResponse already encoded: shared (by every
// stream sent it, so never written to) and then the fields of one stream.
type encodedResponse struct {
	shared []byte
	own    []byte
}

// nonceField encodes a DiscoveryResponse's nonce field.
func nonceField(nonce string) []byte {
	const nonceNumber = 5 // envoy.service.discovery.v3.DiscoveryResponse.nonce
	b := protowire.AppendTag(make([]byte, 0, 2+len(nonce)), nonceNumber, protowire.BytesType)
	return protowire.AppendString(b, nonce)
}

// adsCodec is gRPC's proto codec, except that it sends an encodedResponse
// without copying it.
type adsCodec struct {
	encoding.CodecV2
}

func newADSCodec() adsCodec { return adsCodec{encoding.GetCodecV2(proto.Name)} }

func (c adsCodec) Marshal(v any) (mem.BufferSlice, error) {
	if r, ok := v.(*encodedResponse); ok {
		return mem.BufferSlice{mem.SliceBuffer(r.shared), mem.SliceBuffer(r.own)}, nil
	}
	return c.CodecV2.Marshal(v)
}
