package config

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Decryption configures how SOPS-encrypted files of a revision are
// opened: with the age identities in AgeKeyFile (age-keygen's format).
// The plaintext is kept in memory only.
type Decryption struct {
	AgeKeyFile string `json:"ageKeyFile,omitempty" yaml:"ageKeyFile"`
}

// validate checks the key file is there; it is read when sluice starts.
func (d Decryption) validate() []error {
	if d.AgeKeyFile == "" {
		return nil
	}
	fi, err := os.Stat(d.AgeKeyFile)
	switch {
	case err != nil:
		return []error{fmt.Errorf("field decryption.ageKeyFile: %w", err)}
	case !fi.Mode().IsRegular():
		return []error{fmt.Errorf("field decryption.ageKeyFile: %s is not a regular file", d.AgeKeyFile)}
	}
	return nil
}

// Envoy turns on host mode: sluice runs an Envoy per Gateway as its child
// process (serve/envoyproc), as Envoy Gateway's Host infrastructure does.
type Envoy struct {
	// Binary is the envoy executable, a path or a name on PATH ("envoy").
	Binary string `json:"binary,omitempty" yaml:"binary"`
	// Gateways ("NAMESPACE/NAME") to run an Envoy for; empty: every
	// Gateway of the applied revision, as it appears.
	Gateways []string `json:"gateways,omitempty" yaml:"gateways"`
	// BaseID is the --base-id of the first Envoy, +1 for each next one.
	BaseID int `json:"baseID,omitempty" yaml:"baseID"`
	// Args are added to each Envoy's command line.
	Args []string `json:"args,omitempty" yaml:"args"`
	// LogLevel is Envoy's --log-level (default info).
	LogLevel string `json:"logLevel,omitempty" yaml:"logLevel"`
	// DrainTime is how long an Envoy drains on shutdown or hot restart.
	DrainTime Duration `json:"drainTime" yaml:"drainTime"`
	// XDSTLS names the files Envoy uses to dial sluice's xDS over TLS
	// (needed when xds.tls is set; certFile and keyFile with a client CA).
	XDSTLS *EnvoyTLS `json:"xdsTLS,omitempty" yaml:"xdsTLS"`
}

// EnvoyTLS are the PEM files an Envoy dials sluice with.
type EnvoyTLS struct {
	CAFile   string `json:"caFile" yaml:"caFile"`
	CertFile string `json:"certFile,omitempty" yaml:"certFile"`
	KeyFile  string `json:"keyFile,omitempty" yaml:"keyFile"`
}

// envoyLogLevels are the values of Envoy's --log-level.
var envoyLogLevels = map[string]bool{"": true, "trace": true, "debug": true, "info": true, "warning": true, "warn": true, "error": true, "critical": true, "off": true}

// gatewayName is a Gateway's NAME or NAMESPACE/NAME in DNS form.
var gatewayName = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?/)?[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)

func (e *Envoy) validate(c *Config) []error {
	var errs []error
	for i, g := range e.Gateways {
		if !gatewayName.MatchString(g) {
			errs = append(errs, fmt.Errorf("field envoy.gateways[%d]: %q is not NAME or NAMESPACE/NAME in lowercase DNS form", i, g))
		}
	}
	if !envoyLogLevels[e.LogLevel] {
		errs = append(errs, fmt.Errorf("field envoy.logLevel: %q is not one of trace, debug, info, warning, error, critical, off", e.LogLevel))
	}
	if e.BaseID < 0 || e.DrainTime.Duration < 0 {
		errs = append(errs, errors.New("field envoy.baseID and envoy.drainTime must not be negative"))
	}
	if c.XDS.TLS != nil && (e.XDSTLS == nil || e.XDSTLS.CAFile == "") {
		errs = append(errs, errors.New("field envoy.xdsTLS.caFile: xds.tls is set, so the Envoys sluice runs need the CA to dial it"))
	}
	return errs
}

func (e *Envoy) resolve(abs func(string) string) {
	if strings.Contains(e.Binary, "/") {
		e.Binary = abs(e.Binary)
	}
	if t := e.XDSTLS; t != nil {
		t.CAFile, t.CertFile, t.KeyFile = abs(t.CAFile), abs(t.CertFile), abs(t.KeyFile)
	}
}
