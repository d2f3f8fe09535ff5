package ir

// BasicAuth checks HTTP Basic credentials against an htpasswd list.
type BasicAuth struct{}

// APIKeyAuth checks an API key taken from a header, query or cookie.
type APIKeyAuth struct{}
