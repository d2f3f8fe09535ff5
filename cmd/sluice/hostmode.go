package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluice-gitops/sluice/cmd/sluice/config"
	"github.com/sluice-gitops/sluice/serve/bootstrap"
	"github.com/sluice-gitops/sluice/serve/envoyproc"
	"github.com/sluice-gitops/sluice/serve/revisions"
)

// startEnvoys runs the Envoys of host mode (cfg.Envoy) until ctx ends:
// those of envoy.gateways, or of every Gateway of the applied revision.
func startEnvoys(ctx context.Context, cfg *config.Config, xds net.Addr, reg prometheus.Registerer, logger *slog.Logger, hist *revisions.History) (*envoyproc.Supervisor, error) {
	e := cfg.Envoy
	sup, err := envoyproc.New(ctx, envoyproc.Options{
		Binary: e.Binary, Dir: filepath.Join(cfg.DataDir, "envoy"), Bootstrap: bootstrapTemplate(e, xds),
		BaseID: e.BaseID, Args: e.Args, LogLevel: e.LogLevel, DrainTime: e.DrainTime.Duration,
		Logger: logger, Registerer: reg,
	})
	if err != nil {
		return nil, err
	}
	if cfg.File != "" {
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		go reloadOnHUP(ctx, hup, cfg.File, xds, sup, logger)
	}
	if len(e.Gateways) > 0 {
		return sup, sup.Ensure(e.Gateways)
	}
	go followGateways(ctx, sup, hist, logger)
	return sup, nil
}

// bootstrapTemplate is what every bootstrap of e shares.
func bootstrapTemplate(e *config.Envoy, xds net.Addr) bootstrap.Options {
	tmpl := bootstrap.Options{XDSAddress: dialAddress(xds)}
	if t := e.XDSTLS; t != nil {
		tmpl.XDSCAFile, tmpl.XDSCertFile, tmpl.XDSKeyFile = t.CAFile, t.CertFile, t.KeyFile
	}
	return tmpl
}

// reloadOnHUP reads the config file again at each SIGHUP and hot-restarts
// the Envoys whose bootstrap it changes (envoy.xdsTLS). Other changes
// need a restart of sluice.
func reloadOnHUP(ctx context.Context, hup chan os.Signal, file string, xds net.Addr, sup *envoyproc.Supervisor, logger *slog.Logger) {
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		cfg, err := config.Load(file)
		if err == nil && cfg.Envoy == nil {
			err = fmt.Errorf("config %s: envoy: was removed; restart sluice to stop running Envoys", file)
		}
		if err == nil {
			err = sup.Reload(bootstrapTemplate(cfg.Envoy, xds))
		}
		if err != nil {
			logger.Error("reload on SIGHUP failed; the Envoys keep their bootstrap", "err", err.Error())
			continue
		}
		logger.Info("reloaded the Envoys' bootstraps on SIGHUP", "config", file)
	}
}

// followGateways runs an Envoy for each Gateway of the applied revision,
// as Envoy Gateway's host mode does, looking once a second.
func followGateways(ctx context.Context, sup *envoyproc.Supervisor, hist *revisions.History, logger *slog.Logger) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var last string
	for {
		if sha := hist.AppliedSHA(); sha != "" && sha != last {
			if rec := hist.Revision(sha); rec != nil {
				var gws []string
				for _, g := range rec.Gateways {
					gws = append(gws, g.Gateway)
				}
				if err := sup.Ensure(gws); err != nil {
					logger.Error("envoy: cannot run the Envoys of the applied revision", "err", err.Error())
				}
				last = sha
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// dialAddress is the address a local Envoy dials to reach a listener
// bound to addr: loopback when it is bound to every address.
func dialAddress(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	if p, err := strconv.Atoi(port); err == nil && p > 0 {
		return net.JoinHostPort(host, port)
	}
	return addr.String()
}
