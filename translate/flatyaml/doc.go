// Package flatyaml restores the indentation of Kubernetes-style YAML that
// lost it, as YAML copied out of a web page or a PDF often does:
//
//	metadata:
//	name: eg
//
// becomes metadata.name again. It knows where each key belongs from the Go
// type of the object (its json tags), so it is a fallback for documents of
// known kinds, never a YAML parser: the output is parsed as usual.
//
// It imports nothing of sluice.
package flatyaml
