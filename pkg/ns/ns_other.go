//go:build !linux

package ns

import "github.com/cnirt/cni/types"

// CheckNetNS always reports false and no error: network namespaces exist on
// Linux only, so no path can name the caller's own. The reference answers
// the same on macOS and Windows.
func CheckNetNS(nsPath string) (bool, *types.Error) {
	return false, nil
}
