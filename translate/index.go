package translate

import (
	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/load"
)

// resourceIndex finds the objects that other objects name (namespaces,
// grants, Services and their EndpointSlices, Backends) without a scan of
// their lists.
// It is built on first use from the lists of Resources, which must not
// change after that but by a patch that the index follows
// (decodecache.go); each list keeps its order (namespace, then name).
type resourceIndex struct {
	namespaceLabels map[string]labels.Set                   // by name
	grants          map[string][]*gwapiv1.ReferenceGrant    // by namespace
	services        map[string]*corev1.Service              // by namespace/name
	slices          map[string][]*discoveryv1.EndpointSlice // by namespace/service name
	backends        map[string]*egv1a1.Backend              // by namespace/name
	// ServiceImports and their EndpointSlices (serviceimport.go).
	imports      map[string]*load.ServiceImport
	importSlices map[string][]*discoveryv1.EndpointSlice
}

// idx returns the index of r, building it once (load.Objects.Derived).
func (r *Resources) idx() *resourceIndex {
	return r.objects().Derived(indexObjects).(*resourceIndex)
}

// indexObjects builds the index of the Objects of Resources.
func indexObjects(o *load.Objects) any { return buildIndex((*Resources)(o)) }

// builtIndex returns the index of r if it was built, else nil.
func (r *Resources) builtIndex() *resourceIndex {
	x, _ := r.objects().Built().(*resourceIndex)
	return x
}

func buildIndex(r *Resources) *resourceIndex {
	x := &resourceIndex{
		namespaceLabels: map[string]labels.Set{},
		grants:          map[string][]*gwapiv1.ReferenceGrant{},
		services:        map[string]*corev1.Service{},
		slices:          map[string][]*discoveryv1.EndpointSlice{},
		backends:        make(map[string]*egv1a1.Backend, len(r.Backends)),
		imports:         map[string]*load.ServiceImport{},
		importSlices:    map[string][]*discoveryv1.EndpointSlice{},
	}
	for _, si := range r.ServiceImports {
		x.imports[si.Namespace+"/"+si.Name] = si
	}
	for _, b := range r.Backends {
		x.backends[b.Namespace+"/"+b.Name] = b
	}
	for _, ns := range r.Namespaces {
		set := labels.Set{}
		for k, v := range ns.Labels {
			set[k] = v
		}
		// The API server sets this label on every Namespace, whatever the
		// object says.
		set[corev1.LabelMetadataName] = ns.Name
		x.namespaceLabels[ns.Name] = set
	}
	for _, g := range r.ReferenceGrants {
		x.grants[g.Namespace] = append(x.grants[g.Namespace], g)
	}
	for _, s := range r.Services {
		x.services[s.Namespace+"/"+s.Name] = s
	}
	for _, s := range r.EndpointSlices {
		if svc := s.Labels[discoveryv1.LabelServiceName]; svc != "" {
			key := s.Namespace + "/" + svc
			x.slices[key] = append(x.slices[key], s)
		}
		if si := s.Labels[load.LabelServiceImportName]; si != "" {
			key := s.Namespace + "/" + si
			x.importSlices[key] = append(x.importSlices[key], s)
		}
	}
	return x
}
