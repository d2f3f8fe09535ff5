package gittest

import (
	"crypto/subtle"
	"net/http"
)

// ServerOption configures a Server.
type ServerOption func(*serverConfig)

type serverConfig struct {
	basicAuth bool
	user      string // "" for any non-empty user name
	password  string
}

// WithBasicAuth makes the Server answer 401 to every request without HTTP
// basic auth with password and user. An empty user accepts any non-empty
// user name, as GitHub, GitLab and Gitea do for a token.
func WithBasicAuth(user, password string) ServerOption {
	return func(c *serverConfig) {
		c.basicAuth, c.user, c.password = true, user, password
	}
}

// authorized reports whether r may be served, writing a 401 when not.
func (c *serverConfig) authorized(w http.ResponseWriter, r *http.Request) bool {
	if !c.basicAuth {
		return true
	}
	user, password, ok := r.BasicAuth()
	if ok && user != "" && (c.user == "" || user == c.user) &&
		subtle.ConstantTimeCompare([]byte(password), []byte(c.password)) == 1 {
		return true
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="gittest"`)
	http.Error(w, "authentication required", http.StatusUnauthorized)
	return false
}
