package bootstrap

import (
	"fmt"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/types/known/structpb"
)

// regexRuntime is the layered runtime that raises the largest RE2 program
// size Envoy accepts in a regex to size (re2.max_program_size.error_level,
// 100 by default): a static layer that sets it, and the admin layer, so
// that /runtime_modify keeps working as without a layered runtime. sluice
// must be told the same limit (limits.regexProgramSize), or it keeps
// rejecting such regexes itself.
func regexRuntime(size uint32) (*bootstrapv3.LayeredRuntime, error) {
	static, err := structpb.NewStruct(map[string]any{
		"re2": map[string]any{"max_program_size": map[string]any{"error_level": float64(size)}},
	})
	if err != nil {
		return nil, fmt.Errorf("bootstrap: runtime: %w", err)
	}
	return &bootstrapv3.LayeredRuntime{Layers: []*bootstrapv3.RuntimeLayer{
		{Name: "sluice-static", LayerSpecifier: &bootstrapv3.RuntimeLayer_StaticLayer{StaticLayer: static}},
		{Name: "admin", LayerSpecifier: &bootstrapv3.RuntimeLayer_AdminLayer_{AdminLayer: &bootstrapv3.RuntimeLayer_AdminLayer{}}},
	}}, nil
}
