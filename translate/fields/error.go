package fields

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sluice-gitops/sluice/translate/status"
)

// Error is a problem with one field of an object. It prints as
// "field PATH: PROBLEM", the text status conditions carry.
type Error struct {
	// Path is the field's path in the object, e.g.
	// spec.retry.perRetry.timeout.
	Path string
	// Reason is the reason of the condition the problem gives the object
	// (status.ReasonInvalid unless said otherwise).
	Reason string
	// Err says what is wrong with the field.
	Err error
}

func (e *Error) Error() string { return "field " + e.Path + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// Invalid returns the problem of the field at path, reason Invalid.
func Invalid(path, format string, args ...any) *Error {
	return &Error{Path: path, Reason: status.ReasonInvalid, Err: fmt.Errorf(format, args...)}
}

// Wrap returns err as the problem of the field at path, reason Invalid.
func Wrap(path string, err error) *Error {
	return &Error{Path: path, Reason: status.ReasonInvalid, Err: err}
}

// List collects the problems of one object, in the order found.
type List []error

// Add adds the problem of the field at path, reason Invalid.
func (l *List) Add(path, format string, args ...any) {
	*l = append(*l, Invalid(path, format, args...))
}

// Check adds err when it is not nil.
func (l *List) Check(err error) {
	if err != nil {
		*l = append(*l, err)
	}
}

// Message joins the problems' texts with "; ", as one condition message.
func Message(errs []error) string {
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

// Reason is the condition reason of the first problem that is an *Error,
// or status.ReasonInvalid.
func Reason(errs []error) string {
	for _, err := range errs {
		if e, ok := errors.AsType[*Error](err); ok && e.Reason != "" {
			return e.Reason
		}
	}
	return status.ReasonInvalid
}
