//go:build !linux

package skel

import "github.com/cnirt/cni/types"

// isOwnNetNS always reports false: network namespaces exist on Linux only,
// so there is no namespace of the plugin's own to confuse with CNI_NETNS.
func isOwnNetNS(string) (bool, *types.Error) {
	return false, nil
}
