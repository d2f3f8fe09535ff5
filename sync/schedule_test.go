package sync

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// never is a wait that does not end: only triggers start runs.
func never(time.Duration) <-chan time.Time { return nil }

// startScheduler runs s until the test ends and waits for Run to return.
func startScheduler(t *testing.T, s *Scheduler) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// recv waits for a value on c, failing the test after a generous bound.
func recv[T any](t *testing.T, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// TestTriggersCoalesce: 50 triggers that arrive during a run cause one
// follow-up run, not 50; with the run they interrupt, a burst costs at
// most 2 runs.
func TestTriggersCoalesce(t *testing.T) {
	var calls atomic.Int64
	started := make(chan int64, 100)
	release := make(chan struct{})
	s, err := NewScheduler(ScheduleOptions{Interval: time.Hour}, func(ctx context.Context) error {
		n := calls.Add(1)
		started <- n
		if n == 2 {
			<-release
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.after = never
	startScheduler(t, s)
	recv(t, started, "the first run")

	s.Trigger()
	recv(t, started, "the triggered run") // run 2 holds until released
	done := make(chan struct{})
	for range 50 {
		go func() { s.Trigger(); done <- struct{}{} }()
	}
	for range 50 {
		recv(t, done, "the burst")
	}
	close(release)
	if n := recv(t, started, "the follow-up run"); n != 3 {
		t.Fatalf("follow-up is run %d; want 3", n)
	}
	// A SyncNow made after the follow-up started is served by the next
	// run: if the burst had queued more runs, it would be served later.
	if err := s.SyncNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 4 {
		t.Fatalf("%d runs; want 4 (first, triggered, one follow-up for the burst of 50, SyncNow)", n)
	}
}

// TestBackoff: failures shorten the wait to 1s, 2s, 4s, … up to the cap;
// a success goes back to the interval (±10% jitter).
func TestBackoff(t *testing.T) {
	errDown := errors.New("remote down")
	results := []error{errDown, errDown, errDown, errDown, errDown, errDown, errDown, nil, errDown, nil}
	var waits []time.Duration
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	call := 0
	s, err := NewScheduler(ScheduleOptions{Interval: 30 * time.Second}, func(context.Context) error {
		err := results[call]
		call++
		if call == len(results) {
			cancel()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s.after = func(d time.Duration) <-chan time.Time {
		waits = append(waits, d)
		if ctx.Err() != nil {
			return nil
		}
		c := make(chan time.Time, 1)
		c <- time.Time{}
		return c
	}
	s.Run(ctx) // returns after the last result

	want := []time.Duration{1, 2, 4, 8, 16, 30, 30, 0, 1, 0}
	if len(waits) != len(want) {
		t.Fatalf("waits = %v; want %d", waits, len(want))
	}
	for i, w := range waits {
		if want[i] == 0 || want[i] == 30 { // the interval, jittered
			if w < 27*time.Second || w > 33*time.Second {
				t.Errorf("wait %d = %s; want the interval 30s ±10%%", i, w)
			}
			continue
		}
		if w != want[i]*time.Second {
			t.Errorf("wait %d = %s; want %s", i, w, want[i]*time.Second)
		}
	}
}

// TestBackoffCapsAtFiveMinutes: with a long interval, a failing remote is
// retried at least every 5 minutes.
func TestBackoffCapsAtFiveMinutes(t *testing.T) {
	s, err := NewScheduler(ScheduleOptions{Interval: time.Hour}, func(context.Context) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	for n, want := range map[int]time.Duration{1: time.Second, 3: 4 * time.Second, 9: 256 * time.Second, 10: 5 * time.Minute, 1000: 5 * time.Minute} {
		s.failures = n
		if got, _ := s.next(time.Now()); got != want {
			t.Errorf("after %d failures, wait %s; want %s", n, got, want)
		}
	}
}

// TestRunTimeout: each run's context ends after the timeout, and a run
// that overstays fails, naming the timeout.
func TestRunTimeout(t *testing.T) {
	errs := make(chan error, 1)
	s, err := NewScheduler(ScheduleOptions{Interval: time.Hour, Timeout: 20 * time.Millisecond}, func(ctx context.Context) error {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("run context has no deadline")
		}
		<-ctx.Done() // a remote that never answers
		return ctx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	s.after = never
	startScheduler(t, s)
	go func() { errs <- s.SyncNow(context.Background()) }()
	err = recv(t, errs, "a run to time out")
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "gave up after 20ms") {
		t.Fatalf("err = %v; want a deadline error naming the timeout", err)
	}
	if s.SyncNow(context.Background()) == nil {
		t.Fatal("second run succeeded")
	}
}

// TestSyncNowAfterStop: a SyncNow on a stopped scheduler does not hang.
func TestSyncNowAfterStop(t *testing.T) {
	s, err := NewScheduler(ScheduleOptions{Interval: time.Hour}, func(context.Context) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.Run(ctx)
	if err := s.SyncNow(context.Background()); !errors.Is(err, ErrSchedulerStopped) {
		t.Fatalf("err = %v; want ErrSchedulerStopped", err)
	}
}

// TestCronSchedule: a cron spec decides the wait; bad specs are errors
// that name the schedule.
func TestCronSchedule(t *testing.T) {
	noop := func(context.Context) error { return nil }
	for spec, max := range map[string]time.Duration{
		"*/5 * * * *": 5 * time.Minute,
		"@every 90s":  90 * time.Second,
		"@hourly":     time.Hour,
		"0 3 * * 1-5": 4 * 24 * time.Hour,
	} {
		s, err := NewScheduler(ScheduleOptions{Schedule: spec}, noop)
		if err != nil {
			t.Errorf("%q: %v", spec, err)
			continue
		}
		if got, _ := s.next(time.Now()); got <= 0 || got > max {
			t.Errorf("%q: next run in %s; want (0, %s]", spec, got, max)
		}
		// A failure retries sooner than the schedule, capped at 5 minutes.
		s.failures = 20
		if got, _ := s.next(time.Now()); got > 5*time.Minute {
			t.Errorf("%q: after failures, next run in %s; want ≤ 5m", spec, got)
		}
	}
	for name, opts := range map[string]ScheduleOptions{
		"six fields":  {Schedule: "0 */5 * * * *"},
		"bad minute":  {Schedule: "61 * * * *"},
		"words":       {Schedule: "every five minutes"},
		"bad every":   {Schedule: "@every soon"},
		"both":        {Schedule: "@hourly", Interval: time.Minute},
		"neither":     {},
		"negative":    {Interval: -time.Second},
		"no function": {Interval: time.Second},
	} {
		fn := noop
		if name == "no function" {
			fn = nil
		}
		_, err := NewScheduler(opts, fn)
		switch {
		case err == nil:
			t.Errorf("%s: no error", name)
		case opts.Schedule != "" && opts.Interval == 0 && !strings.Contains(err.Error(), `schedule "`+opts.Schedule+`"`):
			t.Errorf("%s: %v does not name the schedule", name, err)
		}
	}
	if err := ValidateSchedule("*/2 * * * *"); err != nil {
		t.Error(err)
	}
}
