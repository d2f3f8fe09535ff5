package ir

// ClientTraffic is what a ClientTrafficPolicy configures on a listener.
type ClientTraffic struct{}
