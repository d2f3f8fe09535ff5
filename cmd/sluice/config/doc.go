// Package config reads sluice's configuration file: sluice.yaml (see
// DESIGN.md) or an Envoy Gateway standalone EnvoyGateway file, which is
// mapped onto the same Config. It applies the defaults and validates, with
// errors that name the file and the field.
package config
