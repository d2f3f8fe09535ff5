package load

import (
	"fmt"
	"strings"
)

// ObjectError is an object the API server would refuse (its CRD schema or
// built-in validation), as an Options.Admit check finds it: the object is
// left out with a warning naming its fields. Path is the dotted path of
// the first failing field, without indices, to find its line; Msg names
// every failing field.
type ObjectError struct {
	Path, Msg string
}

func (e *ObjectError) Error() string { return e.Msg }

// Problems collects the problems of one object.
type Problems struct {
	path string
	msgs []string
}

// Add records a problem of the field at path.
func (p *Problems) Add(path, format string, args ...any) {
	if p.path == "" {
		p.path = path
	}
	p.msgs = append(p.msgs, fmt.Sprintf(format, args...))
}

// Err returns the problems as an *ObjectError, or nil.
func (p *Problems) Err() error {
	if len(p.msgs) == 0 {
		return nil
	}
	return &ObjectError{Path: p.path, Msg: strings.Join(p.msgs, "; ")}
}
