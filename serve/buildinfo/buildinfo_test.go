package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/sluice-gitops/sluice", Version: "v0.3.0"},
		Settings: []debug.BuildSetting{
			{Key: "-trimpath", Value: "true"},
			{Key: "-ldflags", Value: "-s -w"},
			{Key: "CGO_ENABLED", Value: "0"},
			{Key: "GOOS", Value: "linux"},
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-01-02T03:04:05Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	tests := map[string]struct {
		linked, wantVersion string
	}{
		"module version":  {"", "v0.3.0"},
		"linker versions": {"v0.3.1-rc1", "v0.3.1-rc1"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			i := fromBuildInfo(bi, tc.linked)
			if i.Version != tc.wantVersion || i.Module != "v0.3.0" || i.GoVersion != "go1.26.8" {
				t.Fatalf("info = %+v", i)
			}
			if i.Revision != "0123456789abcdef0123456789abcdef01234567" || i.Time != "2026-01-02T03:04:05Z" || !i.Modified {
				t.Fatalf("vcs = %q %q %v", i.Revision, i.Time, i.Modified)
			}
			s := i.String()
			for _, want := range []string{"sluice " + tc.wantVersion, "revision:  0123456789abcdef0123456789abcdef01234567 (modified)", "-ldflags:  -s -w", "CGO_ENABLED: 0"} {
				if !strings.Contains(s, want) {
					t.Errorf("String() lacks %q:\n%s", want, s)
				}
			}
			if strings.Contains(s, "GOOS") {
				t.Errorf("String() repeats GOOS, already in platform:\n%s", s)
			}
			if got := i.Short(); !strings.HasPrefix(got, "sluice "+tc.wantVersion+" (0123456789ab-modified) go1.26.8 ") {
				t.Errorf("Short() = %q", got)
			}
		})
	}
}

func TestFromNoBuildInfo(t *testing.T) {
	if i := fromBuildInfo(nil, ""); i.Version != "unknown" || i.GoVersion == "" {
		t.Fatalf("info = %+v", i)
	}
}

func TestRegister(t *testing.T) {
	reg := prometheus.NewRegistry()
	i := Info{Version: "v1.0.0", Revision: "abc", GoVersion: "go1.26.8"}
	if err := Register(reg, i); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(mfs) != 1 || mfs[0].GetName() != "sluice_build_info" || len(mfs[0].Metric) != 1 {
		t.Fatalf("gathered %v", mfs)
	}
	m := mfs[0].Metric[0]
	labels := map[string]string{}
	for _, l := range m.GetLabel() {
		labels[l.GetName()] = l.GetValue()
	}
	if m.GetGauge().GetValue() != 1 || labels["version"] != "v1.0.0" || labels["revision"] != "abc" || labels["goversion"] != "go1.26.8" {
		t.Fatalf("sluice_build_info = %v", m)
	}
	if err := Register(reg, i); err == nil {
		t.Fatal("registering twice succeeded; want AlreadyRegistered")
	}
}
