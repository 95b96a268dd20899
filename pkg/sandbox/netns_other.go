//go:build !linux

package sandbox

// checkNetNS accepts every path outside Linux: CNI_NETNS is not a Linux
// namespace path there (Windows passes an HNS namespace ID, FreeBSD's
// plugins a jail), and its form is the plugins' business.
func checkNetNS(string, netnsNeed) (string, error) { return "", nil }
