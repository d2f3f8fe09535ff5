package serve

import (
	"context"
	"fmt"
	"log/slog"
)

// slogAdapter lets go-control-plane log through slog. Its chatty
// per-request messages go to debug.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Debugf(format string, args ...any) {
	if a.l.Enabled(context.Background(), slog.LevelDebug) {
		a.l.Debug(fmt.Sprintf(format, args...), "component", "xds")
	}
}
func (a slogAdapter) Infof(format string, args ...any) { a.Debugf(format, args...) }
func (a slogAdapter) Warnf(format string, args ...any) {
	a.l.Warn(fmt.Sprintf(format, args...), "component", "xds")
}
func (a slogAdapter) Errorf(format string, args ...any) {
	a.l.Error(fmt.Sprintf(format, args...), "component", "xds")
}
