package kube

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// status is what keeps one namespace's informer from listing: the last
// error of a list or watch call, cleared by the next that succeeds.
type status struct {
	mu    sync.Mutex
	err   error
	since time.Time
}

// note records the outcome of a list or watch call of nw. A call ended by
// the informer's own stop is not news.
func (w *Watcher) note(ctx context.Context, nw *nsWatch, call string, err error) {
	if ctx.Err() != nil {
		return
	}
	nw.st.mu.Lock()
	was := nw.st.err
	switch {
	case err == nil:
		nw.st.err = nil
	case was == nil:
		nw.st.err, nw.st.since = err, time.Now()
	default:
		nw.st.err = err
	}
	nw.st.mu.Unlock()
	if (was == nil) == (err == nil) {
		return
	}
	if err != nil {
		w.cfg.Logger.Warn("cannot "+call+" EndpointSlices; the last endpoints listed keep serving", "namespace", nw.namespace, "err", err)
	} else {
		w.cfg.Logger.Info("EndpointSlices are watched again", "namespace", nw.namespace)
	}
	w.changed()
}

// Problems names, sorted, what keeps the wanted Services from live
// endpoints: a namespace sluice may not watch, a missing RBAC
// permission, an API server that does not answer. None means healthy.
func (w *Watcher) Problems() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for ns, names := range w.want {
		if !w.mayWatch(ns) {
			out = append(out, fmt.Sprintf("namespace %s is not watched (kubernetes.namespaces: %s): Services %s get no endpoints",
				ns, strings.Join(w.cfg.Namespaces, ", "), strings.Join(names, ", ")))
			continue
		}
		if nw := w.ns[ns]; nw != nil {
			if p := nw.problem(); p != "" {
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out
}

// failing reports whether nw's last call failed.
func (nw *nsWatch) failing() bool {
	nw.st.mu.Lock()
	defer nw.st.mu.Unlock()
	return nw.st.err != nil
}

// problem describes what nw's last call failed with, or "". Callers hold
// the Watcher's lock.
func (nw *nsWatch) problem() string {
	nw.st.mu.Lock()
	defer nw.st.mu.Unlock()
	err := nw.st.err
	if err == nil {
		return ""
	}
	var what string
	switch {
	case apierrors.IsForbidden(err):
		what = "missing RBAC permission: sluice needs get, list and watch on endpointslices (discovery.k8s.io)"
	case apierrors.IsUnauthorized(err):
		what = "the API server refuses sluice's credentials"
	default:
		what = "the API server does not answer"
	}
	keep := "the last endpoints listed keep serving"
	if !nw.inf.HasSynced() && nw.prev == nil {
		keep = "its Services have no endpoints yet"
	}
	return fmt.Sprintf("namespace %s: %s since %s (%v); %s", nw.namespace, what, nw.st.since.UTC().Format(time.RFC3339), err, keep)
}
