package flatyaml

import (
	"reflect"
	"strings"
)

// TypeFunc returns the Go type of an object of apiVersion and kind, or nil
// when the kind is unknown.
type TypeFunc func(apiVersion, kind string) reflect.Type

// Flat reports whether a document looks flattened: no line is indented, yet
// a key with no value is followed by another key, which only makes sense
// nested.
func Flat(doc string) bool {
	// Lines are walked in place: most documents are indented and answer
	// false at their first nested line, with nothing allocated.
	nested := false
	for rest, more := doc, true; more; {
		var l string
		l, rest, more = strings.Cut(rest, "\n")
		if l == "" || strings.HasPrefix(strings.TrimSpace(l), "#") {
			continue
		}
		if l[0] == ' ' || l[0] == '\t' {
			return false
		}
		if key, val, ok := splitKey(l); ok && !nested && key != "" && val == "" && more {
			next, _, _ := strings.Cut(rest, "\n")
			if _, _, ok := splitKey(next); ok && !strings.HasPrefix(next, "- ") {
				nested = true
			}
		}
	}
	return nested
}

// splitKey splits "key: value" or "key:"; ok is false for other lines.
func splitKey(l string) (key, val string, ok bool) {
	l = strings.TrimSpace(l)
	i := strings.Index(l, ":")
	if i <= 0 || strings.ContainsAny(l[:1], `"'[{-#`) {
		return "", "", false
	}
	if i+1 < len(l) && l[i+1] != ' ' {
		return "", "", false // "http://..." is a scalar, not a key
	}
	return l[:i], strings.TrimSpace(l[i+1:]), true
}

// frame is one open node while re-indenting: a mapping of a struct or map
// type, or a sequence of elem.
type frame struct {
	typ    reflect.Type // struct or map type for a mapping; element type for a sequence
	list   bool
	indent int
}

// Reindent re-indents one flattened document. It returns the document
// unchanged and false when it is not flat or its kind is unknown.
func Reindent(doc string, typeOf TypeFunc) (string, bool) {
	if !Flat(doc) {
		return doc, false
	}
	// The object's own apiVersion and kind come first; later ones belong to
	// references (targetRefs, backendRefs).
	var apiVersion, kind string
	for _, l := range strings.Split(doc, "\n") {
		if k, v, ok := splitKey(l); ok {
			switch {
			case k == "apiVersion" && apiVersion == "":
				apiVersion = strings.Trim(v, `"'`)
			case k == "kind" && kind == "":
				kind = strings.Trim(v, `"'`)
			}
		}
	}
	root := typeOf(apiVersion, kind)
	if root == nil {
		return doc, false
	}
	stack := []frame{{typ: deref(root)}}
	var out strings.Builder
	for _, l := range strings.Split(doc, "\n") {
		t := strings.TrimSpace(l)
		if t == "" {
			out.WriteString("\n")
			continue
		}
		if strings.HasPrefix(t, "#") {
			out.WriteString(strings.Repeat(" ", stack[len(stack)-1].indent) + t + "\n")
			continue
		}
		if item, ok := strings.CutPrefix(t, "- "); ok || t == "-" {
			stack = listItem(stack, item, &out)
			continue
		}
		stack = mappingKey(stack, t, &out)
	}
	return strings.TrimSuffix(out.String(), "\n"), true
}

// mappingKey places "key: value" in the innermost open mapping that has
// that key, closing the nodes inside it.
func mappingKey(stack []frame, line string, out *strings.Builder) []frame {
	key, val, ok := splitKey(line)
	if !ok {
		out.WriteString(strings.Repeat(" ", stack[len(stack)-1].indent) + line + "\n")
		return stack
	}
	at := -1
	for i := len(stack) - 1; i >= 0 && at < 0; i-- {
		if !stack[i].list && stack[i].typ.Kind() == reflect.Struct && fieldType(stack[i].typ, key) != nil {
			at = i
		}
	}
	if at < 0 {
		// A free-form map (labels, annotations) takes any key.
		for i := len(stack) - 1; i >= 0 && at < 0; i-- {
			if !stack[i].list && stack[i].typ.Kind() == reflect.Map {
				at = i
			}
		}
	}
	if at < 0 {
		at = len(stack) - 1 // unknown: leave it where it is; decoding will say so
		for at > 0 && stack[at].list {
			at--
		}
	}
	stack = stack[:at+1]
	f := stack[at]
	out.WriteString(strings.Repeat(" ", f.indent) + line + "\n")
	if val == "" {
		stack = openValue(stack, f.typ, key, f.indent+2)
	}
	return stack
}

// listItem places "- item" in the innermost open sequence whose elements
// can hold it, closing the nodes inside it.
func listItem(stack []frame, item string, out *strings.Builder) []frame {
	key, val, isKey := splitKey(item)
	at := -1
	for i := len(stack) - 1; i >= 0 && at < 0; i-- {
		f := stack[i]
		if !f.list {
			continue
		}
		if !isKey || (f.typ.Kind() == reflect.Struct && fieldType(f.typ, key) != nil) || f.typ.Kind() == reflect.Map {
			at = i
		}
	}
	if at < 0 {
		out.WriteString(strings.Repeat(" ", stack[len(stack)-1].indent) + "- " + item + "\n")
		return stack
	}
	stack = stack[:at+1]
	f := stack[at]
	out.WriteString(strings.Repeat(" ", f.indent) + "- " + item + "\n")
	if !isKey {
		return stack
	}
	// The element is a mapping whose first key is on this line.
	stack = append(stack, frame{typ: f.typ, indent: f.indent + 2})
	if val == "" {
		stack = openValue(stack, f.typ, key, f.indent+4)
	}
	return stack
}

// openValue pushes the frame of the value of key, a key with no value on
// its line, in a mapping of type parent: the value's lines follow, nested.
func openValue(stack []frame, parent reflect.Type, key string, indent int) []frame {
	var child reflect.Type
	if parent.Kind() == reflect.Map {
		child = deref(parent.Elem())
	} else {
		child = fieldType(parent, key)
	}
	if child == nil {
		return stack
	}
	return append(stack, open(child, indent))
}

// open makes the frame for a value of type t: a sequence for slices, else
// a mapping.
func open(t reflect.Type, indent int) frame {
	if t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8 {
		return frame{typ: deref(t.Elem()), list: true, indent: indent}
	}
	return frame{typ: t, indent: indent}
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// fieldType returns the type of the field with json name key, looking into
// inlined embedded structs, or nil.
func fieldType(t reflect.Type, key string) reflect.Type {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" || strings.Contains(opts, "inline") {
			if ft := deref(f.Type); ft.Kind() == reflect.Struct {
				if got := fieldType(ft, key); got != nil {
					return got
				}
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		if name == key {
			return deref(f.Type)
		}
	}
	return nil
}

// ReindentAll re-indents every flattened document of a multi-document file
// (documents separated by "---" lines) and reports whether any changed.
func ReindentAll(data string, typeOf TypeFunc) (string, bool) {
	// Documents are walked in place; a new file is built only when one of
	// them changes, which is rare.
	var out []string
	i := 0
	for rest, more := data, true; more; i++ {
		var d string
		d, rest, more = strings.Cut(rest, "\n---")
		head := ""
		if i > 0 {
			// Keep what followed the separator on its line ("---\n").
			nl := strings.IndexByte(d, '\n')
			if nl < 0 {
				if out != nil {
					out = append(out, d)
				}
				continue
			}
			head, d = d[:nl+1], d[nl+1:]
		}
		r, ok := Reindent(d, typeOf)
		if ok && out == nil {
			out = docsBefore(data, i)
		}
		if out != nil {
			out = append(out, head+r)
		}
	}
	if out == nil {
		return data, false
	}
	return strings.Join(out, "\n---"), true
}

// docsBefore returns the first n documents of data, as ReindentAll splits
// them.
func docsBefore(data string, n int) []string {
	out := make([]string, 0, n+1)
	for rest := data; len(out) < n; {
		d, next, _ := strings.Cut(rest, "\n---")
		out = append(out, d)
		rest = next
	}
	return out
}
