package translate

import (
	"fmt"
	"strings"
)

// objectError is an object the API server would refuse (its CRD schema or
// built-in validation): decode warns, naming the fields, and ignores it.
// path is the dotted path of the first failing field, without indices,
// for lineOf; msg names every failing field.
type objectError struct {
	path, msg string
}

func (e *objectError) Error() string { return e.msg }

// objectProblems collects the problems of one object.
type objectProblems struct {
	path string
	msgs []string
}

func (p *objectProblems) add(path, format string, args ...any) {
	if p.path == "" {
		p.path = path
	}
	p.msgs = append(p.msgs, fmt.Sprintf(format, args...))
}

// err returns the problems as an *objectError, or nil.
func (p *objectProblems) err() error {
	if len(p.msgs) == 0 {
		return nil
	}
	return &objectError{path: p.path, msg: strings.Join(p.msgs, "; ")}
}
