package load

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// yamlJSON converts a yaml.v3 node tree to JSON, as node.Decode(&any)
// followed by json.Marshal would, without the generic values in between:
// scalars keep the tag yaml.v3 resolved (YAML 1.2 core schema: !!str, !!int,
// !!float, !!bool, !!null; other tags decode as yaml.v3 decodes them),
// merge keys (<<) are applied with yaml.v3's precedence, duplicate keys are
// refused and aliases are expanded under yaml.v3's alias-bomb limits.
type yamlJSON struct {
	buf        []byte
	decodes    int                 // nodes converted, as yaml.v3's decodeCount
	aliased    int                 // of which reached through an alias
	aliasDepth int                 // aliases being expanded
	active     map[*yaml.Node]bool // aliases being expanded, to refuse cycles
	stack      []field             // fields of the mappings being written
	// top holds the JSON of the root mapping's apiVersion, kind and
	// metadata, as offsets into buf, when the root is being written.
	top map[string][2]int
}

// yamlError is a conversion error at a line of the file.
type yamlError struct {
	line int
	msg  string
}

func (e *yamlError) Error() string { return e.msg }

func failAt(n *yaml.Node, format string, args ...any) error {
	return &yamlError{line: n.Line, msg: fmt.Sprintf(format, args...)}
}

// documentJSON returns the JSON of a document's root mapping and the
// JSON of its apiVersion, kind and metadata fields alone.
func documentJSON(root *yaml.Node, buf []byte) (doc, head []byte, err error) {
	top := map[string][2]int{}
	c := &yamlJSON{buf: buf[:0], top: top}
	if err := c.value(root); err != nil {
		return nil, nil, err
	}
	head = append(head, '{')
	for _, k := range [...]string{"apiVersion", "kind", "metadata"} {
		if span, ok := top[k]; ok {
			if len(head) > 1 {
				head = append(head, ',')
			}
			head = append(head, '"')
			head = append(head, k...)
			head = append(head, `":`...)
			head = append(head, c.buf[span[0]:span[1]]...)
		}
	}
	head = append(head, '}')
	return c.buf, head, nil
}

// aliasRatio is yaml.v3's allowedAliasRatio: how much of a document may
// come from alias expansion.
func aliasRatio(decodes int) float64 {
	const low, high = 400000, 4000000
	switch {
	case decodes <= low:
		return 0.99
	case decodes >= high:
		return 0.10
	default:
		return 0.99 - 0.89*float64(decodes-low)/float64(high-low)
	}
}

// count is called for every node converted; it refuses alias bombs.
func (c *yamlJSON) count(n *yaml.Node) error {
	c.decodes++
	if c.aliasDepth > 0 {
		c.aliased++
	}
	if c.aliased > 100 && c.decodes > 1000 && float64(c.aliased)/float64(c.decodes) > aliasRatio(c.decodes) {
		return failAt(n, "document contains excessive aliasing")
	}
	return nil
}

// alias runs f on the node an alias names, refusing cycles.
func (c *yamlJSON) alias(n *yaml.Node, f func(*yaml.Node) error) error {
	if c.active[n] {
		return failAt(n, "anchor '%s' value contains itself", n.Value)
	}
	if c.active == nil {
		c.active = map[*yaml.Node]bool{}
	}
	if n.Alias == nil {
		return failAt(n, "unknown anchor '%s' referenced", n.Value)
	}
	c.active[n] = true
	c.aliasDepth++
	err := f(n.Alias)
	c.aliasDepth--
	delete(c.active, n)
	return err
}

func (c *yamlJSON) value(n *yaml.Node) error {
	if err := c.count(n); err != nil {
		return err
	}
	switch n.Kind {
	case yaml.AliasNode:
		return c.alias(n, c.value)
	case yaml.ScalarNode:
		return c.scalar(n)
	case yaml.SequenceNode:
		c.buf = append(c.buf, '[')
		for i, e := range n.Content {
			if i > 0 {
				c.buf = append(c.buf, ',')
			}
			if err := c.value(e); err != nil {
				return err
			}
		}
		c.buf = append(c.buf, ']')
		return nil
	case yaml.MappingNode:
		return c.mapping(n)
	}
	return failAt(n, "cannot decode node with unknown kind %d", n.Kind)
}

// field is one key of a mapping after merges.
type field struct {
	key   string
	value *yaml.Node
}

func (c *yamlJSON) mapping(n *yaml.Node) error {
	top := c.top
	c.top = nil // only the root mapping records its fields
	// The fields of nested mappings share one stack: those of n are
	// stack[start:end], read by index as nested calls may grow it.
	start := len(c.stack)
	stack, err := c.fields(n, nil, c.stack)
	if err != nil {
		return err
	}
	c.stack = stack
	end := len(stack)
	defer func() { c.stack = c.stack[:start] }()
	c.buf = append(c.buf, '{')
	for i := start; i < end; i++ {
		f := c.stack[i]
		if i > start {
			c.buf = append(c.buf, ',')
		}
		c.buf = appendJSONString(c.buf, f.key)
		c.buf = append(c.buf, ':')
		start := len(c.buf)
		if err := c.value(f.value); err != nil {
			return err
		}
		if top != nil && (f.key == "apiVersion" || f.key == "kind" || f.key == "metadata") {
			top[f.key] = [2]int{start, len(c.buf)}
		}
	}
	c.buf = append(c.buf, '}')
	return nil
}

func isMergeKey(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Value == "<<" && (n.Tag == "" || n.Tag == "!" || n.Tag == "!!merge" || n.Tag == "tag:yaml.org,2002:merge")
}

// fields appends the keys of mapping n that seen does not hold yet: its
// own keys in order, then those of the last merge key's mappings, the
// first mapping winning (yaml.v3's precedence).
func (c *yamlJSON) fields(n *yaml.Node, seen map[string]bool, out []field) ([]field, error) {
	l := len(n.Content) &^ 1
	if err := duplicateKeys(n); err != nil {
		return nil, err
	}
	base := len(out) // out[:base] belongs to the enclosing mappings
	var merge *yaml.Node
	for i := 0; i < l; i += 2 {
		k := n.Content[i]
		if isMergeKey(k) {
			merge = n.Content[i+1]
			continue
		}
		key, err := c.key(k)
		if err != nil {
			return nil, err
		}
		if seen != nil {
			if seen[key] {
				continue
			}
			seen[key] = true
		}
		out = append(out, field{key, n.Content[i+1]})
	}
	if merge == nil {
		return out, nil
	}
	if seen == nil {
		seen = make(map[string]bool, len(out)-base)
		for _, f := range out[base:] {
			seen[f.key] = true
		}
	}
	from := func(m *yaml.Node) error {
		if err := c.count(m); err != nil {
			return err
		}
		var err error
		out, err = c.fields(m, seen, out)
		return err
	}
	wantMap := failAt(merge, "map merge requires map or sequence of maps as the value")
	mergeOne := func(m *yaml.Node) error {
		switch {
		case m.Kind == yaml.MappingNode:
			return from(m)
		case m.Kind == yaml.AliasNode && m.Alias != nil && m.Alias.Kind == yaml.MappingNode:
			if err := c.count(m); err != nil {
				return err
			}
			return c.alias(m, from)
		}
		return wantMap
	}
	switch merge.Kind {
	case yaml.SequenceNode:
		for _, m := range merge.Content {
			if err := mergeOne(m); err != nil {
				return nil, err
			}
		}
	default:
		if err := mergeOne(merge); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// duplicateKeys refuses a mapping that repeats a key, as yaml.v3 does.
func duplicateKeys(n *yaml.Node) error {
	l := len(n.Content) &^ 1
	if l <= 16 {
		for i := 0; i < l; i += 2 {
			for j := i + 2; j < l; j += 2 {
				if a, b := n.Content[i], n.Content[j]; a.Kind == b.Kind && a.Value == b.Value {
					return failAt(b, "mapping key %q already defined at line %d", b.Value, a.Line)
				}
			}
		}
		return nil
	}
	type id struct {
		kind  yaml.Kind
		value string
	}
	first := make(map[id]*yaml.Node, l/2)
	for i := 0; i < l; i += 2 {
		k := n.Content[i]
		if a, dup := first[id{k.Kind, k.Value}]; dup {
			return failAt(k, "mapping key %q already defined at line %d", k.Value, a.Line)
		}
		first[id{k.Kind, k.Value}] = k
	}
	return nil
}

// key returns a mapping key, which must be a string (by yaml.v3's
// ShortTag, as for its map[string]any): JSON has no other keys.
func (c *yamlJSON) key(k *yaml.Node) (string, error) {
	if err := c.count(k); err != nil {
		return "", err
	}
	if k.ShortTag() != "!!str" {
		return "", failAt(k, "mapping key %q is not a string", k.Value)
	}
	for i := 0; k.Kind == yaml.AliasNode && k.Alias != nil && i < 100; i++ {
		k = k.Alias
	}
	return k.Value, nil
}

func (c *yamlJSON) scalar(n *yaml.Node) error {
	switch n.Tag {
	case "!!str":
		c.buf = appendJSONString(c.buf, n.Value)
		return nil
	case "!!null":
		c.buf = append(c.buf, "null"...)
		return nil
	case "!!bool":
		if n.Value == "true" || n.Value == "false" {
			c.buf = append(c.buf, n.Value...)
			return nil
		}
	case "!!int":
		if plainInt(n.Value) {
			c.buf = append(c.buf, n.Value...)
			return nil
		}
	}
	// Rare forms (0x1F, 1_000, True, .inf, !!binary, custom tags, ...)
	// are resolved by yaml.v3 itself.
	var v any
	if err := n.Decode(&v); err != nil {
		return &yamlError{line: n.Line, msg: cleanYAMLError(err).Error()}
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return failAt(n, "%v", err)
	}
	c.buf = append(c.buf, raw...)
	return nil
}

// plainInt reports whether s is a decimal integer that JSON and yaml.v3
// read alike: no sign but '-', no leading zero, no underscore, in int64.
func plainInt(s string) bool {
	d := s
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || len(d) > 18 || (d[0] == '0' && len(d) > 1) {
		return false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	return true
}

// appendJSONString appends s as a JSON string, as encoding/json writes it
// (invalid UTF-8 becomes U+FFFD).
func appendJSONString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch b {
			case '"', '\\':
				buf = append(buf, '\\', b)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
