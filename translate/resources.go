package translate

import (
	"io/fs"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/load"
	"github.com/sluice-gitops/sluice/translate/status"
)

// API groups read by translate.
const (
	groupGateway = gwapiv1.GroupName // gateway.networking.k8s.io
	groupEG      = egv1a1.GroupName  // gateway.envoyproxy.io
)

// Resources are the typed objects of one revision as the reading stage
// gives them (load.Objects: grouped by kind, each list in a stable order,
// namespace then name, with their locations), seen by the semantic
// stage: its methods find objects by the names others use (index.go).
// A *load.Objects converts to *Resources and back at no cost. Resources
// is a type of load.Objects rather than a struct around them so that the
// lists are its own fields (envOf, in incremental.go, walks them by
// reflection); the index is kept in load.Objects.Derived.
type Resources load.Objects

// objects returns r as the reading stage's Objects.
func (r *Resources) objects() *load.Objects { return (*load.Objects)(r) }

// Where returns the file and line an object was read from.
func (r *Resources) Where(kind, namespace, name string) status.Location {
	return r.objects().Where(kind, namespace, name)
}

// ParseError is YAML that cannot be read. It rejects the whole revision.
type ParseError = load.ParseError

// Hasher is an fs.FS that knows the content identity of its files without
// reading them, such as the Git blob hash of a file of a commit (see
// load.Hasher): a Cache then opens only the files whose hash changed.
type Hasher = load.Hasher

// loadOptions are how translate has objects read: the checks the API
// server would make before some objects exist, whose rules translate
// shares with its semantics (referencegrant.go, service_validate.go).
var loadOptions = load.Options{Admit: map[string]func(metav1.Object) error{
	"ReferenceGrant": admit(validateReferenceGrant),
	"Service":        admit(validateService),
	"EndpointSlice":  admit(validateEndpointSlice),
}}

// admit makes check a check of load.Options.Admit.
func admit[P metav1.Object](check func(P) error) func(metav1.Object) error {
	return func(obj metav1.Object) error { return check(obj.(P)) }
}

// Limits bound what reading one revision may cost (load.Limits).
type Limits = load.Limits

// LimitError says which of the Limits a revision went over; a
// *ParseError wraps it.
type LimitError = load.LimitError

// readResources reads the files of fsys (load.Read) into Resources,
// within lim.
func readResources(fsys fs.FS, lim Limits) (*Resources, []string, error) {
	opts := loadOptions
	opts.Limits = lim
	objects, warnings, err := load.Read(fsys, opts)
	if err != nil {
		return nil, nil, err
	}
	return (*Resources)(objects), warnings, nil
}

func objectKey(kind, namespace, name string) string {
	return kind + "/" + namespace + "/" + name
}
