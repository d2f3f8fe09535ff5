package sync

import (
	"context"
	"time"
)

// run calls sync now and then every interval until ctx is done, passing new
// revisions to emit and failures to onError.
func run(ctx context.Context, interval time.Duration, sync func(context.Context) (Revision, bool, error),
	emit func(Revision), onError func(error)) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		rev, changed, err := sync(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil:
			if onError != nil {
				onError(err)
			}
		case changed:
			if emit != nil {
				emit(rev)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
