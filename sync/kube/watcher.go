package kube

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/watch"
	discoveryclient "k8s.io/client-go/kubernetes/typed/discovery/v1"
	"k8s.io/client-go/tools/cache"
)

// Service names a Service whose EndpointSlices are wanted.
type Service struct{ Namespace, Name string }

// Config configures a Watcher.
type Config struct {
	// Client lists and watches EndpointSlices.
	Client discoveryclient.EndpointSlicesGetter
	// Namespaces are those sluice may watch; empty means any.
	Namespaces []string
	// OnChange is called, from the Watcher's goroutines and without its
	// locks held, after the slices of a wanted Service or the status
	// changed. It must not block.
	OnChange func()
	Logger   *slog.Logger
}

// Watcher watches the EndpointSlices of the wanted Services: one informer
// per namespace, selecting the slices by the kubernetes.io/service-name
// label. Its methods are safe to call from any goroutine.
type Watcher struct {
	cfg     Config
	allowed map[string]bool // nil: any namespace
	gen     atomic.Uint64

	mu   sync.Mutex
	ctx  context.Context // Start's; nil before Start
	want map[string][]string
	ns   map[string]*nsWatch
}

// serviceIndex indexes slices by their Service's name.
const serviceIndex = "service"

// nsWatch is the informer of one namespace's wanted slices.
type nsWatch struct {
	namespace string
	names     []string // the Services selected, sorted
	inf       cache.SharedIndexInformer
	cancel    context.CancelFunc
	// prev is the informer this one replaced, which answers for the
	// namespace until this one has listed.
	prev *nsWatch
	st   status
}

// New returns a Watcher; Start starts it.
func New(cfg Config) *Watcher {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.OnChange == nil {
		cfg.OnChange = func() {}
	}
	w := &Watcher{cfg: cfg, ns: map[string]*nsWatch{}}
	if len(cfg.Namespaces) > 0 {
		w.allowed = map[string]bool{}
		for _, ns := range cfg.Namespaces {
			w.allowed[ns] = true
		}
	}
	return w
}

// Start starts watching what is wanted, and what will be, until ctx is
// done; then every informer stops.
func (w *Watcher) Start(ctx context.Context) {
	w.mu.Lock()
	w.ctx = ctx
	w.reconcile()
	w.mu.Unlock()
	go func() {
		<-ctx.Done()
		w.mu.Lock()
		defer w.mu.Unlock()
		for ns, nw := range w.ns {
			nw.stop()
			delete(w.ns, ns)
		}
	}()
}

// Want makes svcs the Services watched: informers start for new
// namespaces, restart with a new selector where the set of a namespace
// changed (the old one answers until the new one has listed), and stop
// for namespaces no longer wanted.
func (w *Watcher) Want(svcs []Service) {
	want := map[string][]string{}
	for _, s := range svcs {
		want[s.Namespace] = append(want[s.Namespace], s.Name)
	}
	for ns, names := range want {
		slices.Sort(names)
		want[ns] = slices.Compact(names)
	}
	w.mu.Lock()
	w.want = want
	changed := w.reconcile()
	w.mu.Unlock()
	if changed {
		w.changed()
	}
}

// reconcile starts and stops informers for w.want, and reports whether
// anything changed. Callers hold w.mu.
func (w *Watcher) reconcile() bool {
	if w.ctx == nil || w.ctx.Err() != nil {
		return false
	}
	changed := false
	for ns, nw := range w.ns {
		if _, ok := w.want[ns]; !ok || !w.mayWatch(ns) {
			nw.stop()
			delete(w.ns, ns)
			changed = true
		}
	}
	for ns, names := range w.want {
		cur := w.ns[ns]
		if !w.mayWatch(ns) || (cur != nil && slices.Equal(cur.names, names)) {
			continue
		}
		nw := w.start(ns, names)
		switch {
		case cur == nil:
		case cur.prev != nil && !cur.inf.HasSynced():
			// cur never listed: its predecessor still answers.
			nw.prev, cur.prev = cur.prev, nil
			cur.stop()
		default:
			if cur.prev != nil {
				cur.prev.stop()
				cur.prev = nil
			}
			nw.prev = cur
		}
		w.ns[ns] = nw
		changed = true
	}
	return changed
}

func (w *Watcher) mayWatch(ns string) bool { return w.allowed == nil || w.allowed[ns] }

// start runs an informer of the slices of names in namespace ns.
func (w *Watcher) start(ns string, names []string) *nsWatch {
	req, err := labels.NewRequirement(discoveryv1.LabelServiceName, selection.In, names)
	if err != nil {
		// Service names are DNS labels, which are valid label values.
		w.cfg.Logger.Error("EndpointSlice selector", "namespace", ns, "err", err)
	}
	sel := labels.NewSelector()
	if req != nil {
		sel = sel.Add(*req)
	}
	ctx, cancel := context.WithCancel(w.ctx)
	nw := &nsWatch{namespace: ns, names: names, cancel: cancel}
	client := w.cfg.Client.EndpointSlices(ns)
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			opts.LabelSelector = sel.String()
			l, err := client.List(ctx, opts)
			w.note(ctx, nw, "list", err)
			return l, err
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			opts.LabelSelector = sel.String()
			wi, err := client.Watch(ctx, opts)
			w.note(ctx, nw, "watch", err)
			return wi, err
		},
	}
	nw.inf = cache.NewSharedIndexInformerWithOptions(lw, &discoveryv1.EndpointSlice{}, cache.SharedIndexInformerOptions{
		Indexers: cache.Indexers{serviceIndex: func(obj any) ([]string, error) {
			if s, ok := obj.(*discoveryv1.EndpointSlice); ok {
				return []string{s.Labels[discoveryv1.LabelServiceName]}, nil
			}
			return nil, nil
		}},
	})
	_, _ = nw.inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { w.changed() },
		UpdateFunc: func(any, any) { w.changed() },
		DeleteFunc: func(any) { w.changed() },
	})
	go nw.inf.RunWithContext(ctx)
	go func() {
		if cache.WaitForCacheSync(ctx.Done(), nw.inf.HasSynced) {
			w.synced(nw)
		}
	}()
	return nw
}

// synced retires the informer nw replaced, now that nw has listed.
func (w *Watcher) synced(nw *nsWatch) {
	w.mu.Lock()
	if nw.prev != nil {
		nw.prev.stop()
		nw.prev = nil
	}
	w.mu.Unlock()
	w.changed()
}

func (nw *nsWatch) stop() {
	nw.cancel()
	if nw.prev != nil {
		nw.prev.cancel()
	}
}

// changed counts a change and says so.
func (w *Watcher) changed() {
	w.gen.Add(1)
	w.cfg.OnChange()
}

// Generation counts the changes seen: it grows with every change of a
// wanted slice and of the status.
func (w *Watcher) Generation() uint64 { return w.gen.Load() }

// Slices returns the EndpointSlices of Service namespace/name, sorted by
// name: what its informer listed last, through errors. A Service that is
// not wanted, or whose namespace may not be watched, has none.
func (w *Watcher) Slices(namespace, name string) []*discoveryv1.EndpointSlice {
	w.mu.Lock()
	nw := w.ns[namespace]
	if nw != nil && nw.prev != nil && !nw.inf.HasSynced() {
		nw = nw.prev
	}
	w.mu.Unlock()
	if nw == nil {
		return nil
	}
	objs, _ := nw.inf.GetIndexer().ByIndex(serviceIndex, name)
	out := make([]*discoveryv1.EndpointSlice, 0, len(objs))
	for _, o := range objs {
		if s, ok := o.(*discoveryv1.EndpointSlice); ok {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b *discoveryv1.EndpointSlice) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// WaitSynced waits until every wanted namespace that may be watched has
// been listed once or failed to be (Problems says why), or ctx is done,
// and reports whether they all were listed.
func (w *Watcher) WaitSynced(ctx context.Context) bool {
	w.mu.Lock()
	var nws []*nsWatch
	for _, nw := range w.ns {
		nws = append(nws, nw)
	}
	w.mu.Unlock()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		listed, settled := true, true
		for _, nw := range nws {
			synced := nw.inf.HasSynced()
			listed = listed && synced
			settled = settled && (synced || nw.failing())
		}
		if settled {
			return listed
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}
