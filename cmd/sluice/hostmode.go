package main

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
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
	tmpl := bootstrap.Options{XDSAddress: dialAddress(xds)}
	if t := e.XDSTLS; t != nil {
		tmpl.XDSCAFile, tmpl.XDSCertFile, tmpl.XDSKeyFile = t.CAFile, t.CertFile, t.KeyFile
	}
	sup, err := envoyproc.New(ctx, envoyproc.Options{
		Binary: e.Binary, Dir: filepath.Join(cfg.DataDir, "envoy"), Bootstrap: tmpl,
		BaseID: e.BaseID, Args: e.Args, LogLevel: e.LogLevel, DrainTime: e.DrainTime.Duration,
		Logger: logger, Registerer: reg,
	})
	if err != nil {
		return nil, err
	}
	if len(e.Gateways) > 0 {
		return sup, sup.Ensure(e.Gateways)
	}
	go followGateways(ctx, sup, hist, logger)
	return sup, nil
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
