// Package buildinfo says which build of sluice runs, from what the Go
// toolchain embeds (runtime/debug.ReadBuildInfo): the module version, the
// VCS revision and the Go version. It has no other job; sluice_build_info
// and `sluice version` read it.
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// Info is one build of sluice.
type Info struct {
	// Version is the main module's version ("(devel)" for a build from a
	// work tree).
	Version string `json:"version"`
	// Revision is the VCS revision built, with "-dirty" when the work tree
	// had changes; "unknown" when not recorded (go test, go run).
	Revision  string `json:"revision"`
	GoVersion string `json:"goVersion"`
}

// Read returns the Info of the running binary.
func Read() Info {
	info := Info{Version: "(devel)", Revision: "unknown", GoVersion: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return info
	}
	if bi.Main.Version != "" {
		info.Version = bi.Main.Version
	}
	var dirty bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Revision = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty && info.Revision != "unknown" {
		info.Revision += "-dirty"
	}
	return info
}
