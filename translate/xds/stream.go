package xds

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"sigs.k8s.io/yaml"

	"github.com/sluice-gitops/sluice/policies"
)

// WriteDocuments writes the Document of each gateway to w, as JSON or
// YAML, the shape Document and YAML print, one resource at a time: each
// is marshalled once by protojson and written out (indented for JSON,
// converted for YAML) before the next, so that printing costs the memory
// of one resource rather than of every resource as plain values. Only a
// resource that may hold a secret or a credential (a Secret; a listener or
// a route with a basic_auth or api_key_auth config) takes Document's way,
// through plain values, to be redacted. YAML keys are sorted, as YAML
// prints them (a long string may fold at another column than YAML prints
// a whole document with); JSON keys of a resource come in the proto's
// field order.
func WriteDocuments(w io.Writer, gws []*Gateway, format string) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var err error
	switch format {
	case "json":
		err = writeJSON(bw, gws)
	case "yaml":
		err = writeYAML(bw, gws)
	default:
		return fmt.Errorf("unknown output format %q (yaml, json)", format)
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

// docList is one list of a document: its key and how to print each entry.
type docList struct {
	key  string
	n    int
	each func(i int) ([]byte, error) // the entry as compact JSON
}

// lists returns g's lists in the JSON order of Document's fields. In a
// Gateway that patches changed (g.credentials), every resource takes
// Document's way, to be redacted by value too.
func lists(g *Gateway) []docList {
	var byValue *valueRedactor
	if len(g.credentials) > 0 {
		byValue = newValueRedactor(g.credentials)
	}
	return []docList{
		listOf("listeners", g.Listeners, true, byValue),
		listOf("routes", g.Routes, true, byValue),
		listOf("clusters", g.Clusters, false, byValue),
		listOf("endpoints", g.Endpoints, false, byValue),
		{key: "secrets", n: len(g.Secrets), each: func(i int) ([]byte, error) { return printRedacted(g.Secrets[i], true, byValue) }},
	}
}

func listOf[M proto.Message](key string, ms []M, credentials bool, byValue *valueRedactor) docList {
	return docList{key: key, n: len(ms), each: func(i int) ([]byte, error) {
		if byValue != nil {
			return printRedacted(ms[i], false, byValue)
		}
		b, err := protojson.Marshal(ms[i])
		if err != nil || !credentials || !policies.MayHoldCredentials(b) {
			return b, err
		}
		return printRedacted(ms[i], false, nil)
	}}
}

// printRedacted prints m through plain values, with its secrets (secret) or
// credentials redacted as Document does, and by value with byValue when
// it is not nil.
func printRedacted(m proto.Message, secret bool, byValue *valueRedactor) ([]byte, error) {
	v, err := plainList([]proto.Message{m})
	if err != nil {
		return nil, err
	}
	if secret {
		redactSecret(v[0])
	}
	policies.RedactCredentials(v)
	if byValue != nil {
		byValue.redact(v)
	}
	return json.Marshal(v[0])
}

func writeJSON(w *bufio.Writer, gws []*Gateway) error {
	if len(gws) == 0 {
		_, err := w.WriteString("null\n") // as encoding/json prints no documents
		return err
	}
	w.WriteString("[")
	var ind bytes.Buffer
	for gi, g := range gws {
		if gi > 0 {
			w.WriteString(",")
		}
		gw, _ := json.Marshal(g.Key())
		fmt.Fprintf(w, "\n  {\n    \"gateway\": %s", gw)
		for _, l := range lists(g) {
			if l.n == 0 {
				continue
			}
			fmt.Fprintf(w, ",\n    %q: [", l.key)
			for i := range l.n {
				b, err := l.each(i)
				if err != nil {
					return fmt.Errorf("gateway %s: %s %d: %w", g.Key(), l.key, i, err)
				}
				ind.Reset()
				if err := json.Indent(&ind, b, "      ", "  "); err != nil {
					return err
				}
				if i > 0 {
					w.WriteString(",")
				}
				w.WriteString("\n      ")
				w.Write(ind.Bytes())
			}
			w.WriteString("\n    ]")
		}
		w.WriteString("\n  }")
	}
	_, err := w.WriteString("\n]\n")
	return err
}

func writeYAML(w *bufio.Writer, gws []*Gateway) error {
	if len(gws) == 0 {
		_, err := w.WriteString("null\n") // as YAML prints no documents
		return err
	}
	for _, g := range gws {
		// YAML sorts keys: clusters, endpoints, gateway, listeners,
		// routes, secrets.
		ls := lists(g)
		byKey := map[string]docList{}
		for _, l := range ls {
			byKey[l.key] = l
		}
		first := true
		item := func() string {
			if first {
				first = false
				return "- "
			}
			return "  "
		}
		for _, key := range []string{"clusters", "endpoints", "gateway", "listeners", "routes", "secrets"} {
			if key == "gateway" {
				gw, err := yaml.Marshal(g.Key())
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "%sgateway: %s", item(), gw)
				continue
			}
			if err := writeYAMLList(w, item, g, byKey[key]); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeYAMLList writes one list of a document as YAML, each entry
// converted from its JSON.
func writeYAMLList(w *bufio.Writer, item func() string, g *Gateway, l docList) error {
	if l.n == 0 {
		return nil
	}
	fmt.Fprintf(w, "%s%s:\n", item(), l.key)
	for i := range l.n {
		b, err := l.each(i)
		if err != nil {
			return fmt.Errorf("gateway %s: %s %d: %w", g.Key(), l.key, i, err)
		}
		y, err := yaml.JSONToYAML(b)
		if err != nil {
			return err
		}
		lead := "  - "
		for line := range bytes.Lines(y) {
			w.WriteString(lead)
			w.Write(line)
			lead = "    "
		}
	}
	return nil
}
