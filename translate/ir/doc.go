// Package ir is the intermediate model between Gateway API objects and xDS:
// plain data with yaml/json tags, one Gateway per Envoy fleet. translate
// builds it from the typed objects, policies enrich it, and translate turns
// it into xDS resources.
//
// It must not import translate or policies.
package ir
