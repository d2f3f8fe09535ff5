package load

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/sluice-gitops/sluice/translate/status"
)

// Options say how objects are typed.
type Options struct {
	// Admit holds, by kind, the checks the API server makes on an object
	// of the kind before it exists (built-in validation, CRD schemas) and
	// that translation depends on. An object that fails its check is
	// left out, as a cluster would not have it, with a warning naming
	// its field (best with an *ObjectError). translate gives them: their
	// rules are shared with its semantics.
	Admit map[string]func(metav1.Object) error
	// Limits bound what reading a revision may cost (budget.go).
	Limits Limits
}

// kindDecoder types the JSON of one kind, and adds an object it typed to
// Objects or patches it in or out. Typing is done once per file (and
// cached); adding, per revision.
type kindDecoder struct {
	decode func(raw []byte, strict bool) (metav1.Object, error)
	add    func(o *Objects, obj metav1.Object)
	// patch adds obj to its sorted list, or removes it (patch.go).
	patch func(o *Objects, obj metav1.Object, add bool)
}

func decodeInto[T any, P interface {
	*T
	metav1.Object
}](list func(*Objects) *[]P) kindDecoder {
	return kindDecoder{
		decode: func(raw []byte, strict bool) (metav1.Object, error) {
			obj := P(new(T))
			dec := json.NewDecoder(bytes.NewReader(raw))
			if strict {
				dec.DisallowUnknownFields()
			}
			if err := dec.Decode(obj); err != nil {
				return nil, err
			}
			return obj, nil
		},
		add: func(o *Objects, obj metav1.Object) {
			l := list(o)
			*l = append(*l, obj.(P))
		},
		patch: func(o *Objects, obj metav1.Object, add bool) {
			l := list(o)
			*l = patchList(*l, obj.(P), add)
		},
	}
}

// decode puts the typed documents in Objects, in order. Objects that
// could not be typed are warned about (their notes, naming file, line,
// object and field); unknown kinds and objects without a name become
// warnings too. A second copy of an object is left out and listed in
// Objects.Duplicates. More objects than lim.Objects is an error naming
// the file of the first one over.
func decode(docs []*document, lim Limits) (*Objects, []string, error) {
	r := &Objects{where: make(map[Key]status.Location, len(docs))}
	var warnings []string
	for _, d := range docs {
		dec, ok := decoders[d.group()+"/"+d.Kind]
		switch {
		case !ok:
			warnings = append(warnings, fmt.Sprintf("%s: %s %s: kind %q of %q is not supported; ignored", d.Loc, d.Kind, d.Name, d.Kind, d.APIVersion))
			continue
		case d.Name == "":
			warnings = append(warnings, fmt.Sprintf("%s: %s: field metadata.name is required; ignored", d.Loc, d.Kind))
			continue
		}
		if prev, dup := r.where[d.key]; dup {
			r.Duplicates = append(r.Duplicates, Duplicate{Key: d.key, At: d.Loc, First: prev})
			continue
		}
		warnings = append(warnings, d.notes...)
		if d.obj == nil {
			continue
		}
		if int64(len(r.where)) >= lim.Objects {
			return nil, nil, &ParseError{Location: d.Loc, Err: &LimitError{Key: "limits.objects", Limit: lim.Objects, What: "objects"}}
		}
		dec.add(r, d.obj)
		r.where[d.key] = d.Loc
	}
	r.sort()
	return r, warnings, nil
}

// typeDocument types a document of a supported kind that has a name,
// once: strict first, so the common case decodes once; only an object
// with unknown fields is decoded again, leniently, and warned about. An
// object that fails its check of opts.Admit is left out. The object is
// complete (its namespace set) and never changed afterwards: it may be
// shared through a Cache. The document's JSON is dropped. node gives the
// document's YAML node, for the lines of typing errors.
func typeDocument(d *document, node func(*document) *yaml.Node, opts Options) {
	if d.typed {
		return
	}
	d.typed = true
	raw := d.JSON
	d.JSON = nil
	dec, ok := decoders[d.group()+"/"+d.Kind]
	if !ok || d.Name == "" {
		return
	}
	if clusterScoped[d.Kind] {
		d.Namespace = ""
	} else if d.Namespace == "" {
		d.Namespace = "default"
	}
	d.key = Key{d.Kind, d.Namespace, d.Name}
	obj, err := dec.decode(raw, true)
	if key, unknown := unknownField(err); unknown {
		line := lineOfKey(node(d), key, d.Loc.Line)
		d.notes = append(d.notes, fmt.Sprintf("%s: %s: %s", status.Location{File: d.Loc.File, Line: line}, d.ref(), strings.TrimPrefix(err.Error(), "json: ")))
		obj, err = dec.decode(raw, false)
	}
	if check := opts.Admit[d.Kind]; err == nil && check != nil {
		err = check(obj)
	}
	if err != nil {
		field, msg := jsonErrorField(err)
		loc := status.Location{File: d.Loc.File, Line: lineOf(node(d), field)}
		d.notes = append(d.notes, fmt.Sprintf("%s: %s: %s; ignored", loc, d.ref(), msg))
		return
	}
	obj.SetNamespace(d.Namespace)
	// The object's copies of the names the document holds are the ones
	// kept (sharedNames, in read.go).
	if name := obj.GetName(); name == d.Name {
		d.Name, d.key.Name = name, name
	}
	if k, ok := obj.(interface{ GetObjectKind() schema.ObjectKind }); ok {
		if tm, ok := k.GetObjectKind().(*metav1.TypeMeta); ok && tm.APIVersion == d.APIVersion && tm.Kind == d.Kind {
			tm.APIVersion, tm.Kind = d.APIVersion, d.Kind
		}
	}
	d.obj = obj
}

// ref names the object of a typed document in messages.
func (d *document) ref() string {
	if d.Namespace == "" {
		return d.Kind + " " + d.Name
	}
	return d.Kind + " " + d.Namespace + "/" + d.Name
}

// jsonErrorField returns the field path of a JSON decoding error and a
// message that names it.
func jsonErrorField(err error) (string, string) {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return te.Field, fmt.Sprintf("field %s: cannot use %s as %s", te.Field, te.Value, te.Type)
	}
	var oe *ObjectError
	if errors.As(err, &oe) {
		return oe.Path, oe.Msg
	}
	return "", strings.TrimPrefix(err.Error(), "json: ")
}

// unknownField returns the key named by encoding/json's
// `json: unknown field "x"` error.
func unknownField(err error) (string, bool) {
	const prefix = `json: unknown field "`
	if err == nil {
		return "", false
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, prefix) || !strings.HasSuffix(msg, `"`) {
		return "", false
	}
	return msg[len(prefix) : len(msg)-1], true
}
