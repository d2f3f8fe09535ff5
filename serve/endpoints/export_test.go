package endpoints

// The pure steps of Overlay, for tests.
var (
	ZoneLocalities = zoneLocalities
	Fill           = fill
)
