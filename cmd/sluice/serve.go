package main

import (
	"context"
	"errors"
	"fmt"
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

	"github.com/sluice-gitops/sluice/cmd/sluice/config"
	"github.com/sluice-gitops/sluice/serve"
	"github.com/sluice-gitops/sluice/serve/publish"
	"github.com/sluice-gitops/sluice/serve/reconcile"
	"github.com/sluice-gitops/sluice/serve/revisions"
	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/translate"
)

func newServeCmd() *cobra.Command {
	var path string
	var debug bool
	cmd := &cobra.Command{
		Use:   "serve --config FILE",
		Short: "Run the control plane: sync the source, translate each revision, serve xDS",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(path)
			if err != nil {
				return err
			}
			level := slog.LevelInfo
			if debug {
				level = slog.LevelDebug
			}
			logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			return runServe(cmd.Context(), cfg, logger, func(xds, admin net.Addr) {
				logger.Info("sluice is serving", "xds", xds.String(), "admin", "http://"+admin.String())
			})
		},
	}
	cmd.Flags().StringVar(&path, "config", "sluice.yaml", "configuration file (sluice.yaml or an Envoy Gateway EnvoyGateway file)")
	cmd.Flags().BoolVar(&debug, "debug", false, "log at debug level")
	return cmd
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
			URL: g.URL, Branch: g.Branch, Path: g.Path, Interval: g.Interval.Duration,
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
	src, err := gitsync.NewDirSource(gitsync.DirConfig{Paths: d.Paths, Interval: d.Interval.Duration}, logger)
	return src, d.Interval.Duration, err
}

// runServe runs the control plane until ctx is done. ready is called with
// the bound addresses once both listeners are up.
func runServe(ctx context.Context, cfg *config.Config, logger *slog.Logger, ready func(xds, admin net.Addr)) error {
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	src, interval, err := newSource(cfg, logger)
	if err != nil {
		return err
	}
	token, err := readSecret(cfg.Admin.TokenFile, "admin token")
	if err != nil {
		return err
	}
	var branch, hookSecret string
	if g := cfg.Source.Git; g != nil {
		branch = g.Branch
		if hookSecret, err = readSecret(g.Webhook.SecretFile, "webhook secret"); err != nil {
			return err
		}
		if g.Webhook.SecretFile != "" && hookSecret == "" {
			return fmt.Errorf("webhook secret: %s is empty", g.Webhook.SecretFile)
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	srv, err := revisions.New(revisions.Options{
		Logger: logger, Registerer: reg, DataDir: cfg.DataDir,
		KeepRevisions: cfg.History.Keep, RollbackOnNack: cfg.Rollback.OnNack,
	})
	if err != nil {
		return err
	}
	defer srv.Close() // runs after wg.Wait below: nothing writes to the store after
	rec := reconcile.New(reconcile.Options{
		Source: src, State: srv, Logger: logger, Metrics: gitsync.NewMetrics(reg),
		Translate: translate.Options{ControllerName: cfg.Gateway.ControllerName},
	})
	sched, err := gitsync.NewScheduler(scheduleOptions(cfg, interval, logger), rec.SyncOnce)
	if err != nil {
		return err
	}

	var xdsOpts []grpc.ServerOption
	if t := cfg.XDS.TLS; t != nil {
		conf, err := publish.XDSTLSConfig(publish.TLSFiles{CertFile: t.CertFile, KeyFile: t.KeyFile, ClientCAFile: t.ClientCAFile}, logger)
		if err != nil {
			return err
		}
		xdsOpts = append(xdsOpts, grpc.Creds(credentials.NewTLS(conf)))
	}
	xdsLis, err := net.Listen("tcp", cfg.XDS.Address)
	if err != nil {
		return fmt.Errorf("xds listener: %w", err)
	}
	adminLis, err := net.Listen("tcp", cfg.Admin.Address)
	if err != nil {
		xdsLis.Close()
		return fmt.Errorf("admin listener: %w", err)
	}
	admin := &http.Server{
		Handler: serve.AdminHandler(srv, serve.AdminOptions{
			Token: token, Gatherer: reg,
			// An operator's sync waits for its result; a webhook's does not.
			Sync: sched.SyncNow, Trigger: sched.Trigger,
			WebhookSecret: hookSecret, Branch: branch, Actions: rec, Logger: logger,
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Every goroutine is waited for: nothing writes to dataDir after
	// runServe returns.
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	wg.Go(func() {
		if err := srv.Publisher().Serve(ctx, xdsLis, xdsOpts...); err != nil {
			errc <- err
		}
	})
	wg.Go(func() {
		if err := admin.Serve(adminLis); !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	})
	rec.Restore()
	if ready != nil {
		ready(xdsLis.Addr(), adminLis.Addr())
	}
	wg.Go(func() { sched.Run(ctx) })

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	cancel()
	shutdown, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	admin.Shutdown(shutdown)
	wg.Wait()
	return runErr
}
