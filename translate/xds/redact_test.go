package xds

import "testing"

// TestRedactValues: a credential is replaced where it is a whole value,
// and inside longer strings when it is long enough to be told apart.
func TestRedactValues(t *testing.T) {
	t.Parallel()
	v := map[string]any{
		"a": "s3cr3t-token-value",
		"b": []any{"Bearer s3cr3t-token-value", "short", "x"},
		"c": map[string]any{"d": "short-but-not-whole", "e": 7.0},
	}
	newValueRedactor([]string{"s3cr3t-token-value", "short"}).redact(v)
	if v["a"] != redacted || v["b"].([]any)[0] != "Bearer "+redacted || v["b"].([]any)[1] != redacted || v["b"].([]any)[2] != "x" {
		t.Errorf("redacted: %v", v)
	}
	if c := v["c"].(map[string]any); c["d"] != "short-but-not-whole" || c["e"] != 7.0 {
		t.Errorf("a short credential inside a string, or a number, changed: %v", c)
	}
}
