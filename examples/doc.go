// Package examples holds runnable example repositories, one directory each
// (quickstart/ is the Envoy Gateway 1.2 host-mode quickstart; grpc/,
// session-persistence/ and backend-tls/ show GRPCRoute, the seed's cookie
// session persistence and BackendTLSPolicy). The test in
// this package loads every example as a revision and demands that every
// object is accepted and every snapshot is valid.
package examples
