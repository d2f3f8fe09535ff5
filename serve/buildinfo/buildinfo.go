package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// version is set by the linker: make dist passes
// -X github.com/sluice-gitops/sluice/serve/buildinfo.version=$(VERSION).
var version string

// Info describes the running binary.
type Info struct {
	// Version is the linker-set version, else the module version ("(devel)"
	// for a build from a checkout).
	Version string `json:"version"`
	// Module is the main module's version as the go command recorded it.
	Module string `json:"module"`
	// Revision and Time are the VCS commit and its time; Modified says the
	// work tree had uncommitted changes. Empty when built without VCS data.
	Revision string `json:"revision,omitempty"`
	Time     string `json:"time,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	// GoVersion is the Go toolchain that built the binary.
	GoVersion string `json:"goVersion"`
	// Platform is GOOS/GOARCH.
	Platform string `json:"platform"`
	// Settings are the build settings the go command recorded (ldflags,
	// CGO_ENABLED, -trimpath, ...), in its order.
	Settings []Setting `json:"settings,omitempty"`
}

// Setting is one recorded build setting.
type Setting struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Read returns the running binary's Info.
func Read() Info {
	bi, _ := debug.ReadBuildInfo()
	return fromBuildInfo(bi, version)
}

// fromBuildInfo builds Info from what the go command recorded and the
// linker-set version.
func fromBuildInfo(bi *debug.BuildInfo, linked string) Info {
	info := Info{Version: linked, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi == nil {
		if info.Version == "" {
			info.Version = "unknown"
		}
		return info
	}
	info.Module, info.GoVersion = bi.Main.Version, bi.GoVersion
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Revision = s.Value
		case "vcs.time":
			info.Time = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		case "GOOS", "GOARCH":
			continue
		}
		info.Settings = append(info.Settings, Setting{Key: s.Key, Value: s.Value})
	}
	if info.Version == "" {
		info.Version = info.Module
	}
	if info.Version == "" {
		info.Version = "unknown"
	}
	return info
}

// String is the multi-line text `sluice version` prints.
func (i Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sluice %s\n", i.Version)
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "  %-10s %s\n", k+":", v)
		}
	}
	line("module", i.Module)
	rev := i.Revision
	if rev != "" && i.Modified {
		rev += " (modified)"
	}
	line("revision", rev)
	line("time", i.Time)
	line("go", i.GoVersion)
	line("platform", i.Platform)
	for _, s := range i.Settings {
		if strings.HasPrefix(s.Key, "vcs") {
			continue
		}
		line(s.Key, s.Value)
	}
	return b.String()
}

// Short is the one line --version prints.
func (i Info) Short() string {
	s := "sluice " + i.Version
	if i.Revision != "" {
		s += " (" + shortRev(i.Revision, i.Modified) + ")"
	}
	return s + " " + i.GoVersion + " " + i.Platform
}

func shortRev(rev string, modified bool) string {
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified {
		rev += "-modified"
	}
	return rev
}

// Register adds sluice_build_info{version,revision,goversion} = 1 to reg.
func Register(reg prometheus.Registerer, i Info) error {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "sluice_build_info",
		Help: "Which sluice is running: always 1, with the version, VCS revision and Go version as labels.",
		ConstLabels: prometheus.Labels{
			"version": i.Version, "revision": i.Revision, "goversion": i.GoVersion,
		},
	})
	g.Set(1)
	return reg.Register(g)
}
