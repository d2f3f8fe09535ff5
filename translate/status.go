package translate

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sluice-gitops/sluice/translate/load"
	"github.com/sluice-gitops/sluice/translate/status"
)

// The status types of a Result are package status's (shared with
// policies); these names let callers of Translate print and inspect a
// Result without importing it.
type (
	ObjectStatus     = status.Object
	Condition        = status.Condition
	PolicyAttachment = status.Attachment
	Location         = status.Location
)

// sortStatus returns statuses ordered by kind, namespace, name, then
// location. They are distinct by kind, namespace and name
// (translator.status is keyed by load.Key) but for the second copies of
// an object (duplicateStatus), which differ by location, so an unstable
// sort gives the one order. They are sorted
// kind by kind: objects of one kind come mostly in order already (routes
// are processed in order, their Backends as they refer to them), which
// the sort is quick to see, and comparisons skip the kind.
func sortStatus(list []*status.Object) []*status.Object {
	if len(list) == 0 {
		return nil
	}
	byKind := map[string][]*status.Object{}
	for _, s := range list {
		byKind[s.Kind] = append(byKind[s.Kind], s)
	}
	out := make([]*status.Object, 0, len(list))
	for _, kind := range slices.Sorted(maps.Keys(byKind)) {
		l := byKind[kind]
		slices.SortFunc(l, func(a, b *status.Object) int {
			if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
				return c
			}
			if c := strings.Compare(a.Name, b.Name); c != 0 {
				return c
			}
			if c := strings.Compare(a.Location.File, b.Location.File); c != 0 {
				return c
			}
			return a.Location.Line - b.Location.Line
		})
		out = append(out, l...)
	}
	return out
}

// ReasonAlreadyExists rejects the second copy of an object, as a
// Kubernetes API server refuses to create an object that exists.
const ReasonAlreadyExists = "AlreadyExists"

// duplicateStatus rejects each second copy of an object (load leaves it
// out and keeps the first, in file order), naming both files. The copy
// gets its own status entry, at its own location, beside the object's.
func duplicateStatus(dups []load.Duplicate) []*status.Object {
	out := make([]*status.Object, 0, len(dups))
	for _, d := range dups {
		name := d.Key.Name
		if d.Key.Namespace != "" {
			name = d.Key.Namespace + "/" + name
		}
		msg := fmt.Sprintf("%s %s is defined twice, at %s and at %s: this second copy (in file order) is not used; remove or rename one of them",
			d.Key.Kind, name, d.First, d.At)
		out = append(out, &status.Object{
			Kind: d.Key.Kind, Namespace: d.Key.Namespace, Name: d.Key.Name, Location: d.At,
			Conditions: []status.Condition{status.New(status.CondAccepted, false, ReasonAlreadyExists, msg)},
		})
	}
	return out
}
