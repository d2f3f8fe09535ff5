package translate

import (
	"maps"
	"slices"
	"strings"

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

// sortStatus returns statuses ordered by kind, namespace, name. They are
// distinct by kind, namespace and name (translator.status is keyed by
// load.Key), so an unstable sort gives the one order. They are sorted
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
			return strings.Compare(a.Name, b.Name)
		})
		out = append(out, l...)
	}
	return out
}
