package ir

// ProxySettings is what an EnvoyProxy configures on a listener's HTTP
// connection manager.
type ProxySettings struct{}
