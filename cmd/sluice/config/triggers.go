package config

import (
	"errors"
	"fmt"
	"time"

	gitsync "github.com/sluice-gitops/sluice/sync"
)

// validateTriggers checks when the source is synced: exactly one of
// interval and schedule, and a sane timeout.
func (g *Git) validateTriggers() []error {
	var errs []error
	switch {
	case g.Schedule != "" && g.Interval.Duration != 0:
		errs = append(errs, errors.New("field source.git.schedule: set interval or schedule, not both"))
	case g.Schedule != "":
		if err := gitsync.ValidateSchedule(g.Schedule); err != nil {
			errs = append(errs, fmt.Errorf("field source.git.schedule: %w", err))
		}
	case g.Interval.Duration < time.Second:
		errs = append(errs, fmt.Errorf("field source.git.interval: %s is shorter than 1s", g.Interval.Duration))
	}
	if g.Timeout.Duration < time.Second {
		errs = append(errs, fmt.Errorf("field source.git.timeout: %s is shorter than 1s", g.Timeout.Duration))
	}
	return errs
}
