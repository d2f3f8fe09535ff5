package revisions

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
)

// contentHash is a SHA-256 over every resource of a gateway in a fixed
// order (type, then name), each marshalled deterministically. Equal
// resources give equal hashes on every replica.
func contentHash(res map[resourcev3.Type][]types.Resource) (string, error) {
	h := sha256.New()
	typs := make([]string, 0, len(res))
	for typ := range res {
		typs = append(typs, typ)
	}
	sort.Strings(typs)
	opts := proto.MarshalOptions{Deterministic: true}
	for _, typ := range typs {
		list := append([]types.Resource(nil), res[typ]...)
		sort.Slice(list, func(i, j int) bool { return cachev3.GetResourceName(list[i]) < cachev3.GetResourceName(list[j]) })
		for _, r := range list {
			b, err := opts.Marshal(r)
			if err != nil {
				return "", err
			}
			h.Write([]byte(typ))
			h.Write([]byte(cachev3.GetResourceName(r)))
			h.Write(b)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// snapshotVersion derives a snapshot version from the commit that produced
// it and the content: "<sha 12>-<content hash 12>".
func snapshotVersion(sha, content string) string {
	if len(sha) > 12 {
		sha = sha[:12]
	}
	return sha + "-" + content[:12]
}
