package envoyproc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluice-gitops/sluice/serve/bootstrap"
)

// Defaults applied by New to empty Options fields.
const (
	DefaultBinary     = "envoy"
	DefaultBaseID     = 10
	DefaultLogLevel   = "info"
	DefaultDrainTime  = 15 * time.Second
	DefaultMinBackoff = time.Second
	DefaultMaxBackoff = 30 * time.Second
)

// ErrNoBinary is the failure of a start when the envoy binary is missing.
var ErrNoBinary = errors.New("envoyproc: envoy binary not found")

// Options configure a Supervisor.
type Options struct {
	// Binary is the envoy executable: a path, or a name looked up on PATH
	// at each start (DefaultBinary).
	Binary string
	// Dir holds the bootstraps and admin address files (dataDir/envoy).
	Dir string
	// Bootstrap is the template of every bootstrap: XDSAddress and the
	// xDS TLS files; Gateway, NodeID and AdminAddress are set per Envoy.
	Bootstrap bootstrap.Options
	// BaseID is the --base-id of the first Envoy; the next get BaseID+1,
	// +2, ... in the order they were first asked for.
	BaseID int
	// Args are added to every Envoy's command line.
	Args []string
	// LogLevel is Envoy's --log-level.
	LogLevel string
	// DrainTime is how long an Envoy drains before it is stopped, and its
	// --drain-time-s.
	DrainTime time.Duration
	// MinBackoff and MaxBackoff bound the wait before a restart.
	MinBackoff, MaxBackoff time.Duration
	Logger                 *slog.Logger
	Registerer             prometheus.Registerer
}

// Supervisor runs one Envoy per Gateway. It is safe for concurrent use.
type Supervisor struct {
	opts    Options
	metrics *metrics
	ctx     context.Context
	wg      sync.WaitGroup
	mu      sync.Mutex
	procs   map[string]*proc
	nextID  int
}

// New returns a Supervisor whose Envoys run until ctx ends; Wait waits
// for them to have drained and exited.
func New(ctx context.Context, opts Options) (*Supervisor, error) {
	if opts.Binary == "" {
		opts.Binary = DefaultBinary
	}
	if opts.BaseID == 0 {
		opts.BaseID = DefaultBaseID
	}
	if opts.LogLevel == "" {
		opts.LogLevel = DefaultLogLevel
	}
	if opts.DrainTime == 0 {
		opts.DrainTime = DefaultDrainTime
	}
	if opts.MinBackoff == 0 {
		opts.MinBackoff = DefaultMinBackoff
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if err := os.MkdirAll(opts.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("envoy directory: %w", err)
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	return &Supervisor{opts: opts, metrics: m, ctx: ctx, procs: map[string]*proc{}, nextID: opts.BaseID}, nil
}

// Ensure runs an Envoy for each gateway ("NAMESPACE/NAME") that has none
// yet. Envoys of gateways not listed keep running: a Gateway that left a
// revision may come back, and its Envoy serves an empty snapshot.
func (s *Supervisor) Ensure(gateways []string) error {
	var errs []error
	for _, gw := range gateways {
		if err := s.ensure(gw); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *Supervisor) ensure(gateway string) error {
	ns, name, err := bootstrap.ParseGateway(gateway)
	if err != nil {
		return err
	}
	key := ns + "/" + name
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.procs[key]; ok || s.ctx.Err() != nil {
		return nil
	}
	p := &proc{sup: s, gateway: key, file: ns + "-" + name, baseID: s.nextID, reload: make(chan struct{}, 1)}
	p.status = Status{Gateway: key, NodeID: "envoy-" + ns + "-" + name, State: StateStarting, BaseID: p.baseID,
		Bootstrap: filepath.Join(s.opts.Dir, p.file+".yaml")}
	if _, err := p.writeBootstrap(s.opts.Bootstrap); err != nil {
		return err
	}
	s.nextID++
	s.procs[key] = p
	s.wg.Go(func() { p.run(s.ctx) })
	return nil
}

// Reload writes every bootstrap again from opts.Bootstrap and
// hot-restarts the Envoys whose bootstrap changed.
func (s *Supervisor) Reload(template bootstrap.Options) error {
	s.mu.Lock()
	s.opts.Bootstrap = template
	procs := s.list()
	s.mu.Unlock()
	var errs []error
	for _, p := range procs {
		changed, err := p.writeBootstrap(template)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if changed {
			select {
			case p.reload <- struct{}{}:
			default: // one is already asked for
			}
		}
	}
	return errors.Join(errs...)
}

func (s *Supervisor) list() []*proc {
	out := make([]*proc, 0, len(s.procs))
	for _, p := range s.procs {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].gateway < out[j].gateway })
	return out
}

// Status returns the state of each Envoy, by gateway.
func (s *Supervisor) Status() []Status {
	s.mu.Lock()
	procs := s.list()
	s.mu.Unlock()
	out := make([]Status, len(procs))
	for i, p := range procs {
		out[i] = p.snapshot()
	}
	return out
}

// Wait waits until every Envoy has exited, after ctx ended.
func (s *Supervisor) Wait() { s.wg.Wait() }

// args is the command line of an Envoy.
func (s *Supervisor) args(p *proc, epoch int) []string {
	drain := int(s.opts.DrainTime.Round(time.Second) / time.Second)
	args := []string{
		"--config-path", p.status.Bootstrap,
		"--base-id", fmt.Sprint(p.baseID),
		"--restart-epoch", fmt.Sprint(epoch),
		"--drain-time-s", fmt.Sprint(max(drain, 1)),
		"--parent-shutdown-time-s", fmt.Sprint(max(drain, 1) + 5),
		"--log-level", s.opts.LogLevel,
		"--admin-address-path", p.adminFile(epoch),
	}
	return append(args, s.opts.Args...)
}

// logLevel maps the level of an Envoy log line ("[...][info][...]").
func logLevel(line string) slog.Level {
	switch {
	case strings.Contains(line, "][critical]"), strings.Contains(line, "][error]"):
		return slog.LevelError
	case strings.Contains(line, "][warning]"):
		return slog.LevelWarn
	case strings.Contains(line, "][debug]"), strings.Contains(line, "][trace]"):
		return slog.LevelDebug
	}
	return slog.LevelInfo
}
