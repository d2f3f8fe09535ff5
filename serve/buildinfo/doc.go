// Package buildinfo says which sluice is running: the version set at link
// time (-ldflags "-X .../serve/buildinfo.version=v1.2.3"), the module
// version, the VCS revision and time and the Go version that
// runtime/debug.ReadBuildInfo records, for `sluice version`, `--version`
// and the sluice_build_info metric.
//
// It imports only the standard library and the Prometheus client.
package buildinfo
