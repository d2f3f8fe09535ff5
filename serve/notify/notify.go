package notify

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Event types.
const (
	RevisionApplied   = "revision.applied"
	RevisionRejected  = "revision.rejected"
	RevisionPinned    = "revision.pinned"
	RevisionUnpinned  = "revision.unpinned"
	Nack              = "nack"
	AutomaticRollback = "rollback.automatic"
	SourceFailing     = "source.failing"
	SourceRecovered   = "source.recovered"
)

// AllEvents lists every event type, in the order of the lifecycle.
var AllEvents = []string{RevisionApplied, RevisionRejected, RevisionPinned, RevisionUnpinned, Nack, AutomaticRollback, SourceFailing, SourceRecovered}

// Event is one thing sluice did or saw, as sent to every target (the
// webhook's JSON body, the command's standard input).
type Event struct {
	Type string    `json:"type"`
	Time time.Time `json:"time"`
	// Revision prints the revision concerned as BRANCH@sha1:SHA.
	Revision string `json:"revision,omitempty"`
	SHA      string `json:"sha,omitempty"`
	Subject  string `json:"subject,omitempty"`
	Gateway  string `json:"gateway,omitempty"`
	Node     string `json:"node,omitempty"`
	// Message says what happened: a rejection's reason, a NACK's error,
	// the source's error.
	Message string `json:"message,omitempty"`
}

// Sender delivers one event to one target.
type Sender interface {
	Send(ctx context.Context, ev Event) error
}

// Permanent marks an error that a retry would not mend (a 4xx answer).
type Permanent struct{ Err error }

func (p *Permanent) Error() string { return p.Err.Error() }
func (p *Permanent) Unwrap() error { return p.Err }

// Defaults of Target and Options.
const (
	DefaultRetries    = 5
	DefaultQueueSize  = 100
	DefaultTimeout    = 10 * time.Second
	DefaultMinBackoff = time.Second
	DefaultMaxBackoff = time.Minute
)

// Target is where events go.
type Target struct {
	// Name names the target in logs and metrics.
	Name string
	// Events are the types sent; empty sends all.
	Events []string
	Sender Sender
	// Retries after a failed delivery (DefaultRetries when 0; -1 for none).
	Retries int
	// QueueSize bounds the events waiting (DefaultQueueSize when 0).
	QueueSize int
}

// Options configure a Notifier.
type Options struct {
	Targets []Target
	Logger  *slog.Logger
	// Registerer receives sluice_notifications_total; nil registers nothing.
	Registerer prometheus.Registerer
	// MinBackoff and MaxBackoff bound the wait between retries.
	MinBackoff, MaxBackoff time.Duration
	// Timeout bounds one delivery.
	Timeout time.Duration
}

// Notifier queues events for its targets and delivers them.
type Notifier struct {
	queues []*queue
	log    *slog.Logger
	total  *prometheus.CounterVec
	opts   Options
}

// New returns a Notifier; Run delivers its events.
func New(opts Options) *Notifier {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.MinBackoff = cmp(opts.MinBackoff, DefaultMinBackoff)
	opts.MaxBackoff = cmp(opts.MaxBackoff, DefaultMaxBackoff)
	opts.Timeout = cmp(opts.Timeout, DefaultTimeout)
	n := &Notifier{log: opts.Logger, opts: opts, total: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sluice_notifications_total",
		Help: "Notifications by target and result: sent, failed (given up after the retries) or dropped (the target's queue was full).",
	}, []string{"target", "result"})}
	for _, t := range opts.Targets {
		if t.Retries == 0 {
			t.Retries = DefaultRetries
		}
		if t.QueueSize <= 0 {
			t.QueueSize = DefaultQueueSize
		}
		for _, r := range []string{"sent", "failed", "dropped"} {
			n.total.WithLabelValues(t.Name, r)
		}
		n.queues = append(n.queues, &queue{target: t, wake: make(chan struct{}, 1)})
	}
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(n.total)
	}
	return n
}

func cmp(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Notify queues ev for every target that wants its type. It never blocks:
// a full queue drops its oldest event. Safe for concurrent use; a nil
// Notifier does nothing.
func (n *Notifier) Notify(ev Event) {
	if n == nil {
		return
	}
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	for _, q := range n.queues {
		if len(q.target.Events) > 0 && !slices.Contains(q.target.Events, ev.Type) {
			continue
		}
		if dropped := q.push(ev); dropped != nil {
			n.total.WithLabelValues(q.target.Name, "dropped").Inc()
			n.log.Warn("notification dropped: the queue is full", "target", q.target.Name, "event", dropped.Type, "revision", dropped.Revision)
		}
	}
}

// Run delivers events until ctx is done; events still queued then are
// not delivered.
func (n *Notifier) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, q := range n.queues {
		wg.Go(func() { n.work(ctx, q) })
	}
	wg.Wait()
}

// queue is one target's events waiting, oldest first.
type queue struct {
	target Target
	mu     sync.Mutex
	events []Event
	wake   chan struct{}
}

// push appends ev, dropping and returning the oldest event when full.
func (q *queue) push(ev Event) *Event {
	q.mu.Lock()
	var dropped *Event
	if len(q.events) >= q.target.QueueSize {
		d := q.events[0]
		dropped = &d
		q.events = slices.Delete(q.events, 0, 1)
	}
	q.events = append(q.events, ev)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return dropped
}

func (q *queue) pop() (Event, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.events) == 0 {
		return Event{}, false
	}
	ev := q.events[0]
	q.events = slices.Delete(q.events, 0, 1)
	return ev, true
}

// work delivers q's events one at a time until ctx is done.
func (n *Notifier) work(ctx context.Context, q *queue) {
	for {
		ev, ok := q.pop()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-q.wake:
				continue
			}
		}
		n.deliver(ctx, q.target, ev)
	}
}

// deliver sends ev with retries and counts the result.
func (n *Notifier) deliver(ctx context.Context, t Target, ev Event) {
	wait := n.opts.MinBackoff
	for attempt := 0; ; attempt++ {
		sctx, cancel := context.WithTimeout(ctx, n.opts.Timeout)
		err := t.Sender.Send(sctx, ev)
		cancel()
		if err == nil {
			n.total.WithLabelValues(t.Name, "sent").Inc()
			return
		}
		var perm *Permanent
		if errors.As(err, &perm) || attempt >= t.Retries || ctx.Err() != nil {
			n.total.WithLabelValues(t.Name, "failed").Inc()
			n.log.Error("notification failed", "target", t.Name, "event", ev.Type, "revision", ev.Revision, "attempts", attempt+1, "err", err)
			return
		}
		n.log.Warn("notification failed; retrying", "target", t.Name, "event", ev.Type, "in", wait, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, n.opts.MaxBackoff)
	}
}
