//go:build !linux

package sandbox_test

// startFakeNS does nothing outside Linux, where the path is not checked.
func startFakeNS() func() { return func() {} }

// nsPath returns a network namespace path for sandbox id of a test whose
// plugins are fakes; outside Linux the path is not checked.
func nsPath(id string) string { return "/var/run/netns/" + id }
