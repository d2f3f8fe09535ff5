// Package fields checks the fields of Gateway API and Envoy Gateway
// objects (durations, percentages, counts and ranges) and reports each
// problem as an *Error naming the field and the condition reason it gives
// the object; translate and policies share it. It must not import
// translate or policies.
package fields
