package load

import (
	"errors"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// yamlErrorLine finds the line number in a yaml.v3 error ("yaml: line 7: ...").
func yamlErrorLine(err error) int {
	var te *yaml.TypeError
	msg := err.Error()
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	i := strings.Index(msg, "line ")
	if i < 0 {
		return 0
	}
	n, j := 0, i+5
	for ; j < len(msg) && msg[j] >= '0' && msg[j] <= '9'; j++ {
		n = n*10 + int(msg[j]-'0')
	}
	// yaml.v3 adds one to the zero-based line of scanner errors only;
	// parser errors ("did not find expected key", ...) name the line
	// before the problem. Correct them.
	if strings.HasPrefix(msg[j:], ": did not find expected") {
		n++
	}
	return n
}

// cleanYAMLError drops the "yaml: line N:" prefix that Location already carries.
func cleanYAMLError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if strings.HasPrefix(msg, "line ") {
		if i := strings.Index(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
	}
	return errors.New(msg)
}

// lineOf returns the line of the node at a dotted JSON field path
// ("spec.listeners.port"); list elements are searched in order. It falls back
// to the deepest node found.
func lineOf(root *yaml.Node, field string) int {
	if root == nil {
		return 0
	}
	line := root.Line
	if field == "" {
		return line
	}
	parts := strings.Split(field, ".")
	var walk func(n *yaml.Node, parts []string) (int, bool)
	walk = func(n *yaml.Node, parts []string) (int, bool) {
		if len(parts) == 0 {
			return n.Line, true
		}
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == parts[0] {
					if l, ok := walk(n.Content[i+1], parts[1:]); ok {
						return l, true
					}
					line = n.Content[i].Line
				}
			}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				if l, ok := walk(c, parts); ok {
					return l, true
				}
			}
		}
		return 0, false
	}
	if l, ok := walk(root, parts); ok {
		return l
	}
	return line
}

// lineOfKey returns the line of the first mapping key named key, depth
// first, or def. encoding/json does not say where an unknown field is, and
// the first key with that name is nearly always the one.
func lineOfKey(n *yaml.Node, key string, def int) int {
	if n == nil {
		return def
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i].Line
			}
		}
	}
	for _, c := range n.Content {
		if l := lineOfKey(c, key, 0); l > 0 {
			return l
		}
	}
	return def
}
