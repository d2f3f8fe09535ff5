package ir

// ExtAuth asks an external HTTP or gRPC service whether to let a request
// through.
type ExtAuth struct{}
