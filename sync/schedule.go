package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
)

// Defaults of ScheduleOptions.
const (
	DefaultSyncTimeout = 60 * time.Second
	DefaultMinBackoff  = time.Second
	DefaultMaxBackoff  = 5 * time.Minute
)

// jitter is the largest fraction an interval is moved by, either way, so
// that replicas started together do not ask the remote together.
const jitter = 0.1

// ErrSchedulerStopped is returned by SyncNow once Run has returned.
var ErrSchedulerStopped = errors.New("sync: scheduler stopped")

// ScheduleOptions say when a Scheduler runs its sync function. Exactly one
// of Interval and Schedule is set.
type ScheduleOptions struct {
	// Interval between the end of one run and the start of the next,
	// moved by up to ±10% each time.
	Interval time.Duration
	// Schedule is a cron spec: five fields ("*/2 * * * *") or a
	// descriptor such as "@hourly" or "@every 90s".
	Schedule string
	// Timeout bounds each run; defaults to DefaultSyncTimeout.
	Timeout time.Duration
	// MinBackoff is the wait after a first failure; each further failure
	// doubles it, up to MaxBackoff. Defaults to DefaultMinBackoff.
	MinBackoff time.Duration
	// MaxBackoff caps the wait after failures. It defaults to the
	// Interval or DefaultMaxBackoff, whichever is shorter, so a failing
	// remote is never asked less often than a healthy one.
	MaxBackoff time.Duration
	Logger     *slog.Logger
}

// Scheduler runs a sync function on an interval or a cron schedule, and at
// once when triggered. It runs one sync at a time: triggers that arrive
// during a run coalesce into one follow-up run. After a failed run it
// retries with exponential backoff instead of waiting for the next
// scheduled time; a success resets the backoff.
//
// Trigger and SyncNow are safe for concurrent use; Run is called once.
type Scheduler struct {
	sync     func(context.Context) error
	every    time.Duration
	cron     cron.Schedule
	timeout  time.Duration
	minDelay time.Duration
	maxDelay time.Duration
	log      *slog.Logger
	// after is time.After; tests replace it to see and skip the waits.
	after func(time.Duration) <-chan time.Time

	// trigger holds at most one pending request for a run.
	trigger chan struct{}
	stopped chan struct{}
	// mu makes taking the pending trigger and the waiters one step, so a
	// SyncNow is served by exactly the run that consumes its trigger.
	mu      gosync.Mutex
	waiters []chan error

	failures int // consecutive failed runs; touched by Run only
	// nextAt is when Run will run next (unix nanoseconds; 0 while a run
	// is under way or before Run).
	nextAt atomic.Int64
}

// ValidateSchedule reports whether spec is a cron spec a Scheduler accepts.
func ValidateSchedule(spec string) error {
	_, err := parseSchedule(spec)
	return err
}

func parseSchedule(spec string) (cron.Schedule, error) {
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("sync: schedule %q: %w (want 5 fields \"min hour day month weekday\" or a descriptor such as @hourly or \"@every 5m\")", spec, err)
	}
	return sched, nil
}

// NewScheduler makes a Scheduler that calls sync; Run starts it.
func NewScheduler(opts ScheduleOptions, sync func(context.Context) error) (*Scheduler, error) {
	s := &Scheduler{
		sync:     sync,
		every:    opts.Interval,
		timeout:  opts.Timeout,
		minDelay: opts.MinBackoff,
		maxDelay: opts.MaxBackoff,
		log:      opts.Logger,
		after:    time.After,
		trigger:  make(chan struct{}, 1),
		stopped:  make(chan struct{}),
	}
	switch {
	case sync == nil:
		return nil, errors.New("sync: scheduler without a sync function")
	case opts.Interval != 0 && opts.Schedule != "":
		return nil, errors.New("sync: set an interval or a schedule, not both")
	case opts.Interval < 0:
		return nil, fmt.Errorf("sync: interval %s is negative", opts.Interval)
	case opts.Schedule != "":
		var err error
		if s.cron, err = parseSchedule(opts.Schedule); err != nil {
			return nil, err
		}
	case opts.Interval == 0:
		return nil, errors.New("sync: set an interval or a schedule")
	}
	if s.timeout <= 0 {
		s.timeout = DefaultSyncTimeout
	}
	if s.minDelay <= 0 {
		s.minDelay = DefaultMinBackoff
	}
	if s.maxDelay <= 0 {
		s.maxDelay = DefaultMaxBackoff
		if s.every > 0 && s.every < s.maxDelay {
			s.maxDelay = s.every
		}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// Run syncs at once, then as scheduled and when triggered, until ctx is
// done. Each run gets a context that ends after the timeout.
func (s *Scheduler) Run(ctx context.Context) {
	defer close(s.stopped)
	for {
		s.runOnce(ctx)
		now := time.Now()
		wait, why := s.next(now)
		s.nextAt.Store(now.Add(wait).UnixNano())
		s.log.Debug("next sync", "in", wait, "because", why)
		select {
		case <-ctx.Done():
			s.release(ctx.Err())
			return
		case <-s.trigger:
		case <-s.after(wait):
		}
	}
}

// NextRun returns when the next scheduled run starts (a trigger may come
// first); the zero time while a run is under way or before Run.
func (s *Scheduler) NextRun() time.Time {
	n := s.nextAt.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// Trigger asks for a run as soon as possible, without waiting for it. A
// run in progress is not interrupted: one more follows it, however many
// triggers arrived meanwhile. Backoff does not delay a trigger.
func (s *Scheduler) Trigger() {
	select {
	case s.trigger <- struct{}{}:
	default: // a run is already pending
	}
}

// SyncNow triggers a run and waits for it: it returns the result of the
// first run that starts after the call, or ctx's error, or
// ErrSchedulerStopped.
func (s *Scheduler) SyncNow(ctx context.Context) error {
	done := make(chan error, 1)
	s.mu.Lock()
	s.waiters = append(s.waiters, done)
	s.Trigger()
	s.mu.Unlock()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-s.stopped:
		return ErrSchedulerStopped
	}
}

// runOnce runs sync once with a timeout and tells the waiters.
func (s *Scheduler) runOnce(ctx context.Context) {
	// This run serves every request made before it starts.
	s.mu.Lock()
	select {
	case <-s.trigger:
	default:
	}
	waiters := s.waiters
	s.waiters = nil
	s.mu.Unlock()

	s.nextAt.Store(0)
	rctx, cancel := context.WithTimeout(ctx, s.timeout)
	err := s.sync(rctx)
	if err != nil && errors.Is(rctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		err = fmt.Errorf("sync: gave up after %s: %w", s.timeout, err)
	}
	cancel()
	switch {
	case err == nil:
		s.failures = 0
	case ctx.Err() == nil: // a shutdown is not a failure
		s.failures++
	}
	for _, w := range waiters {
		w <- err
	}
}

// release answers waiters that no run will serve.
func (s *Scheduler) release(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.waiters {
		w <- err
	}
	s.waiters = nil
}

// next returns how long to wait from now until the next run, and why.
func (s *Scheduler) next(now time.Time) (time.Duration, string) {
	var scheduled time.Duration
	if s.cron != nil {
		scheduled = s.cron.Next(now).Sub(now)
	} else {
		scheduled = jittered(s.every)
	}
	if s.failures == 0 {
		return scheduled, "schedule"
	}
	if b := s.backoff(); b < scheduled {
		return b, fmt.Sprintf("backoff after %d failed syncs", s.failures)
	}
	return scheduled, "schedule"
}

// backoff is the wait after s.failures consecutive failures: MinBackoff,
// doubled for each failure after the first, capped at MaxBackoff.
func (s *Scheduler) backoff() time.Duration {
	d := s.minDelay
	for i := 1; i < s.failures && d < s.maxDelay; i++ {
		d *= 2
	}
	return min(d, s.maxDelay)
}

// jittered moves d by a random amount of up to ±10%.
func jittered(d time.Duration) time.Duration {
	return d + time.Duration((rand.Float64()*2-1)*jitter*float64(d))
}
