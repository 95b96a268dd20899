// Package utils validates the names a CNI runtime hands to plugins:
// container IDs, network names and interface names. Failures are
// *types.Error values carrying the CNI error code a plugin would report.
package utils

import (
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/cnirt/cni/types"
)

// maxIfNameLen is the longest interface name Linux accepts (IFNAMSIZ - 1).
const maxIfNameLen = 15

// badNameChar returns the index of the first byte of s that breaks the rule
// shared by container IDs and network names, [a-zA-Z0-9][a-zA-Z0-9_.-]*,
// or -1 when s follows it. s must not be empty.
func badNameChar(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case i > 0 && (c == '_' || c == '.' || c == '-'):
		default:
			return i
		}
	}
	return -1
}

// ValidateContainerID checks a container ID: it must be non-empty (code
// ErrUnknownContainer) and match [a-zA-Z0-9][a-zA-Z0-9_.-]* (code
// ErrInvalidEnvironmentVariables, the offending ID in Details).
func ValidateContainerID(containerID string) *types.Error {
	if containerID == "" {
		return types.NewError(types.ErrUnknownContainer, "missing containerID", "")
	}
	if badNameChar(containerID) >= 0 {
		return types.NewError(types.ErrInvalidEnvironmentVariables, "invalid characters in containerID", containerID)
	}
	return nil
}

// ValidateNetworkName checks a network name: it must be non-empty and match
// [a-zA-Z0-9][a-zA-Z0-9_.-]*; both failures have code
// ErrInvalidNetworkConfig, with the offending name in Details.
func ValidateNetworkName(networkName string) *types.Error {
	if networkName == "" {
		return types.NewError(types.ErrInvalidNetworkConfig, "missing network name:", "")
	}
	if badNameChar(networkName) >= 0 {
		return types.NewError(types.ErrInvalidNetworkConfig, "invalid characters found in network name", networkName)
	}
	return nil
}

// ValidateInterfaceName checks an interface name the way the Linux kernel
// does: non-empty, at most 15 bytes, not "." or "..", and free of '/', ':'
// and white space. Failures have code ErrInvalidEnvironmentVariables.
func ValidateInterfaceName(ifName string) *types.Error {
	switch {
	case ifName == "":
		return types.NewError(types.ErrInvalidEnvironmentVariables, "interface name is empty", "")
	case len(ifName) > maxIfNameLen:
		return types.NewError(types.ErrInvalidEnvironmentVariables, "interface name is too long",
			fmt.Sprintf("interface name should be less than %d characters", maxIfNameLen+1))
	case ifName == "." || ifName == "..":
		return types.NewError(types.ErrInvalidEnvironmentVariables, "interface name is . or ..", "")
	}
	for i := 0; i < len(ifName); {
		r, size := utf8.DecodeRuneInString(ifName[i:])
		if r == '/' || r == ':' || unicode.IsSpace(r) {
			return types.NewError(types.ErrInvalidEnvironmentVariables, "interface name contains / or : or whitespace characters", "")
		}
		i += size
	}
	return nil
}
