package bootstrap_test

import (
	"bytes"
	"testing"

	"github.com/sluice-gitops/sluice/serve/bootstrap"
)

// TestRegexProgramSizeRuntime: --regex-program-size writes Envoy's
// runtime key re2.max_program_size.error_level in a static layer, with the
// admin layer beside it; without it the bootstrap has no layered runtime,
// and Envoy keeps its default of 100.
func TestRegexProgramSizeRuntime(t *testing.T) {
	t.Parallel()
	b, err := bootstrap.Build(bootstrap.Options{Gateway: "eg", RegexProgramSize: 400})
	if err != nil {
		t.Fatal(err)
	}
	back, out := roundTrip(t, b)
	layers := back.GetLayeredRuntime().GetLayers()
	if len(layers) != 2 || layers[1].GetAdminLayer() == nil {
		t.Fatalf("layers = %v; want a static layer and the admin layer", layers)
	}
	level := layers[0].GetStaticLayer().GetFields()["re2"].GetStructValue().GetFields()["max_program_size"].
		GetStructValue().GetFields()["error_level"].GetNumberValue()
	if level != 400 || !bytes.Contains(out, []byte("error_level: 400")) {
		t.Errorf("re2.max_program_size.error_level = %v in\n%s", level, out)
	}
	plain, err := bootstrap.Build(bootstrap.Options{Gateway: "eg"})
	if err != nil {
		t.Fatal(err)
	}
	if plain.GetLayeredRuntime() != nil {
		t.Error("a layered runtime without --regex-program-size")
	}
}
