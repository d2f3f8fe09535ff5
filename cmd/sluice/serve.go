package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"k8s.io/klog/v2"

	"github.com/sluice-gitops/sluice/cmd/sluice/config"
	"github.com/sluice-gitops/sluice/serve"
	"github.com/sluice-gitops/sluice/serve/buildinfo"
	"github.com/sluice-gitops/sluice/serve/datadir"
	"github.com/sluice-gitops/sluice/serve/endpoints"
	"github.com/sluice-gitops/sluice/serve/envoyproc"
	"github.com/sluice-gitops/sluice/serve/notify"
	"github.com/sluice-gitops/sluice/serve/publish"
	"github.com/sluice-gitops/sluice/serve/reconcile"
	"github.com/sluice-gitops/sluice/serve/revisions"
	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/sync/kube"
	"github.com/sluice-gitops/sluice/translate"
)

func newServeCmd() *cobra.Command {
	var path, logFormat string
	var debug bool
	cmd := &cobra.Command{
		Use:   "serve --config FILE",
		Short: "Run the control plane: sync the source, translate each revision, serve xDS",
		Example: `  sluice serve --config sluice.yaml
  sluice serve --config envoy-gateway.yaml --debug   # Envoy Gateway's standalone config`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			logger, err := newLogger(cmd.ErrOrStderr(), logFormat, debug)
			if err != nil {
				return err
			}
			cfg, err := config.Load(path)
			if err != nil {
				return err
			}
			return runServe(cmd.Context(), cfg, logger, func(xds, admin net.Addr) {
				logger.Info("sluice is serving", "xds", xds.String(), "admin", "http://"+admin.String())
			})
		},
	}
	cmd.Flags().StringVar(&path, "config", "sluice.yaml", "configuration file (sluice.yaml or an Envoy Gateway EnvoyGateway file)")
	cmd.Flags().BoolVar(&debug, "debug", false, "log at debug level")
	cmd.Flags().StringVar(&logFormat, "log-format", "text", "log format: text (logfmt) or json (one object a line)")
	cmd.RegisterFlagCompletionFunc("log-format", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// newLogger returns the logger of sluice serve: slog's text (logfmt) or
// JSON handler on w, at debug level or info.
func newLogger(w io.Writer, format string, debug bool) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if debug {
		opts.Level = slog.LevelDebug
	}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("unknown log format %q: use text or json", format)
}

// scheduleOptions says when to sync: the source's interval, or the Git
// source's cron schedule.
func scheduleOptions(cfg *config.Config, interval time.Duration, logger *slog.Logger) gitsync.ScheduleOptions {
	opts := gitsync.ScheduleOptions{Interval: interval, Logger: logger}
	if g := cfg.Source.Git; g != nil {
		opts.Schedule, opts.Timeout = g.Schedule, g.Timeout.Duration
	}
	return opts
}

// readSecret reads a token or secret from a file, without surrounding
// white space. An empty path is an empty secret.
func readSecret(path, what string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// newSource builds the configured source.
func newSource(cfg *config.Config, logger *slog.Logger) (gitsync.Source, time.Duration, error) {
	if g := cfg.Source.Git; g != nil {
		src, err := gitsync.NewGitSource(gitsync.GitConfig{
			URL: g.URL, Branch: g.Branch, Path: g.Path,
			Dir:                filepath.Join(cfg.DataDir, "git"),
			InsecureSkipVerify: g.Verify.InsecureSkipVerify,
			TokenFile:          g.Auth.TokenFile,
			SSHKeyFile:         g.Auth.SSHKeyFile,
			KnownHostsFile:     g.Auth.KnownHostsFile,
			OpenPGPKeyring:     g.Verify.OpenPGPKeyring,
			SSHAllowedSigners:  g.Verify.SSHAllowedSigners,
			VerifyMode:         g.Verify.Mode,
			VerifySince:        g.Verify.Since,
			AllowForcePush:     g.AllowForcePush,
		}, logger)
		return src, g.Interval.Duration, err
	}
	d := cfg.Source.Dir
	src, err := gitsync.NewDirSource(gitsync.DirConfig{Paths: d.Paths}, logger)
	return src, d.Interval.Duration, err
}

// adminOptions reads the admin token and the webhook secret of cfg.
func adminOptions(cfg *config.Config) (serve.AdminOptions, error) {
	var opts serve.AdminOptions
	var err error
	if opts.Token, err = readSecret(cfg.Admin.TokenFile, "admin token"); err != nil {
		return opts, err
	}
	opts.Source = sourceInfo(cfg)
	if g := cfg.Source.Git; g != nil {
		opts.Branch = g.Branch
		if opts.WebhookSecret, err = readSecret(g.Webhook.SecretFile, "webhook secret"); err != nil {
			return opts, err
		}
		if g.Webhook.SecretFile != "" && opts.WebhookSecret == "" {
			return opts, fmt.Errorf("webhook secret: %s is empty", g.Webhook.SecretFile)
		}
	}
	return opts, nil
}

// sourceInfo describes the configured source for the admin API's status.
func sourceInfo(cfg *config.Config) serve.SourceInfo {
	if g := cfg.Source.Git; g != nil {
		sched := g.Schedule
		if sched == "" {
			sched = "every " + g.Interval.Duration.String()
		}
		return serve.SourceInfo{Kind: "git", URL: gitsync.RedactURL(g.URL), Branch: g.Branch, Path: g.Path, Schedule: sched}
	}
	d := cfg.Source.Dir
	return serve.SourceInfo{Kind: "dir", URL: strings.Join(d.Paths, ", "), Schedule: "every " + d.Interval.Duration.String()}
}

// xdsServerOptions are the gRPC options of the xDS server: the stream
// limits, and TLS when configured.
func xdsServerOptions(cfg *config.Config, logger *slog.Logger) ([]grpc.ServerOption, error) {
	limits := publish.StreamLimits{Total: max(cfg.XDS.MaxStreams, 0), PerIP: max(cfg.XDS.MaxStreamsPerIP, 0)}
	t := cfg.XDS.TLS
	access := publish.Access{CertGateways: t != nil && t.ClientCAFile != "", InsecureSecrets: cfg.XDS.InsecureSecrets()}
	opts := append([]grpc.ServerOption{limits.ServerOption()}, access.ServerOptions()...)
	warnXDSExposure(cfg, logger)
	if t == nil {
		return opts, nil
	}
	conf, err := publish.XDSTLSConfig(publish.TLSFiles{CertFile: t.CertFile, KeyFile: t.KeyFile, ClientCAFile: t.ClientCAFile}, logger)
	if err != nil {
		return nil, err
	}
	return append(opts, grpc.Creds(credentials.NewTLS(conf))), nil
}

// warnXDSExposure says at start when xDS can be read by clients sluice
// does not authenticate beyond this host.
func warnXDSExposure(cfg *config.Config, logger *slog.Logger) {
	x := cfg.XDS
	if x.LoopbackOnly() || (x.TLS != nil && x.TLS.ClientCAFile != "") {
		return
	}
	if x.InsecureSecrets() {
		logger.Warn("xDS serves secrets to unauthenticated clients beyond loopback (xds.allowInsecureSecrets): any client that reaches the port can read any gateway's keys and credentials", "address", x.Address)
		return
	}
	logger.Warn("xDS listens beyond loopback without client certificates: any client that reaches the port can read any gateway's configuration (not its secrets); set xds.tls with clientCAFile", "address", x.Address)
}

// listen binds the xDS and the admin listeners.
func listen(cfg *config.Config) (xds, admin net.Listener, err error) {
	if xds, err = net.Listen("tcp", cfg.XDS.Address); err != nil {
		return nil, nil, fmt.Errorf("xds listener: %w", err)
	}
	if admin, err = net.Listen("tcp", cfg.Admin.Address); err != nil {
		xds.Close()
		return nil, nil, fmt.Errorf("admin listener: %w", err)
	}
	return xds, admin, nil
}

// parts are the pieces sluice serve runs, wired.
type parts struct {
	lock    *datadir.Lock
	reg     *prometheus.Registry
	envoys  *envoyproc.Supervisor // host mode (envoy:), started by runServe
	src     gitsync.Source
	hist    *revisions.History
	rec     *reconcile.Reconciler
	sched   *gitsync.Scheduler
	admin   *http.Server
	xdsOpts []grpc.ServerOption
	live    *endpoints.Live // nil outside a cluster
	// notifier delivers events; nil without notify targets.
	notifier *notify.Notifier
	logger   *slog.Logger
}

// liveEndpoints watches the cluster's EndpointSlices when sluice.yaml has
// a kubernetes section; else it returns nil.
func liveEndpoints(cfg *config.Config, reg prometheus.Registerer, logger *slog.Logger) (*endpoints.Live, error) {
	k := cfg.Kubernetes
	if k == nil {
		return nil, nil
	}
	client, err := kube.NewClient(k.Kubeconfig)
	if err != nil {
		return nil, err
	}
	klog.SetSlogLogger(logger) // client-go's own logs
	return endpoints.New(endpoints.Options{
		Watch: kube.Config{Client: client, Namespaces: k.Namespaces},
		Batch: k.Batch.Duration, Registerer: reg, Logger: logger,
	}), nil
}

// wire builds the pieces of cfg: source, revision history, reconciler,
// scheduler and admin server, after locking the data directory. Close
// them with close.
func wire(cfg *config.Config, logger *slog.Logger) (_ *parts, err error) {
	// Nothing in dataDir is touched before it is ours.
	lock, err := datadir.Acquire(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			lock.Release()
		}
	}()
	src, interval, err := newSource(cfg, logger)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			src.Close()
		}
	}()
	aopts, err := adminOptions(cfg)
	if err != nil {
		return nil, err
	}
	xdsOpts, err := xdsServerOptions(cfg, logger)
	if err != nil {
		return nil, err
	}
	keys, err := readAgeKeys(cfg.Decryption.AgeKeyFile, "decryption.ageKeyFile")
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := buildinfo.Register(reg, buildinfo.Read()); err != nil {
		return nil, err
	}
	live, err := liveEndpoints(cfg, reg, logger)
	if err != nil {
		return nil, err
	}
	notifier, err := newNotifier(cfg, logger, reg)
	if err != nil {
		return nil, err
	}
	hist, err := revisions.New(revisions.Options{
		Logger: logger, Registerer: reg, DataDir: cfg.DataDir,
		KeepRevisions: cfg.History.Keep, RollbackOnNack: cfg.Rollback.OnNack,
		Notify: notifier.Notify,
	})
	if err != nil {
		return nil, err
	}
	rec := reconcile.New(reconcile.Options{
		Source: src, History: hist, Logger: logger, Metrics: gitsync.NewMetrics(reg),
		Translate: translate.Options{
			ControllerName: cfg.Gateway.ControllerName, Decryption: keys,
			Limits: cfg.Limits.Translate(), RegexProgramSize: cfg.Limits.RegexProgramSize,
		},
		Endpoints: live,
	})
	sched, err := gitsync.NewScheduler(scheduleOptions(cfg, interval, logger), rec.SyncOnce)
	if err != nil {
		hist.Close()
		return nil, err
	}
	// An operator's sync waits for its result; a webhook's does not.
	aopts.Gatherer, aopts.Sync, aopts.Trigger, aopts.Actions, aopts.Logger = reg, sched.SyncNow, sched.Trigger, rec, logger
	aopts.NextSync = sched.NextRun
	p := &parts{lock: lock, reg: reg, src: src, hist: hist, rec: rec, sched: sched, xdsOpts: xdsOpts, notifier: notifier, live: live, logger: logger}
	aopts.Processes = func() []envoyproc.Status {
		if p.envoys == nil {
			return nil
		}
		return p.envoys.Status()
	}
	p.admin = &http.Server{Handler: serve.AdminHandler(hist, aopts), ReadHeaderTimeout: 10 * time.Second}
	return p, nil
}

// close closes the store and the source, then gives the data directory
// up.
func (p *parts) close() {
	p.hist.Close()
	if err := p.src.Close(); err != nil {
		p.logger.Error("closing the source", "err", err)
	}
	p.lock.Release()
}

// runServe runs the control plane until ctx is done. ready is called with
// the bound addresses once both listeners are up.
func runServe(ctx context.Context, cfg *config.Config, logger *slog.Logger, ready func(xds, admin net.Addr)) error {
	p, err := wire(cfg, logger)
	if err != nil {
		return err
	}
	defer p.close() // runs after wg.Wait below: nothing writes to the store after
	xdsLis, adminLis, err := listen(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if cfg.Envoy != nil {
		// Before the admin server starts: its handlers read p.envoys.
		if p.envoys, err = startEnvoys(ctx, cfg, xdsLis.Addr(), p.reg, logger, p.hist); err != nil {
			xdsLis.Close()
			adminLis.Close()
			return err
		}
		defer p.envoys.Wait() // drained before the store closes
	}
	// Every goroutine is waited for: nothing writes to dataDir after
	// runServe returns.
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	wg.Go(func() {
		if err := p.hist.Publisher().Serve(ctx, xdsLis, p.xdsOpts...); err != nil {
			errc <- err
		}
	})
	// Requests end with the server: the dashboard's event streams too.
	p.admin.BaseContext = func(net.Listener) context.Context { return ctx }
	wg.Go(func() {
		if err := p.admin.Serve(adminLis); !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	})
	if p.live != nil {
		p.live.Start(ctx) // before Restore, which waits for the first list
		wg.Go(func() { p.rec.ServeEndpoints(ctx) })
	}
	p.rec.Restore()
	if ready != nil {
		ready(xdsLis.Addr(), adminLis.Addr())
	}
	wg.Go(func() { p.sched.Run(ctx) })
	if p.notifier != nil {
		wg.Go(func() { p.notifier.Run(ctx) })
	}

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	cancel()
	shutdown, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	p.admin.Shutdown(shutdown)
	wg.Wait()
	return runErr
}
