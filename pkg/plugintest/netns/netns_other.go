//go:build !linux

package netns

import (
	"context"
	"fmt"
	"net"
	"runtime"
)

// Available always fails outside Linux, with an error wrapping
// ErrUnsupported.
func Available() error {
	return fmt.Errorf("%w (this is %s)", ErrUnsupported, runtime.GOOS)
}

// Create always fails outside Linux.
func Create(ctx context.Context, name string) (*NetNS, error) { return nil, Available() }

// Delete always fails outside Linux.
func (n *NetNS) Delete(ctx context.Context) error { return Available() }

// LinkExists always reports false outside Linux.
func LinkExists(name string) bool { return false }

// Do always fails outside Linux, without calling fn.
func Do(path string, fn func() error) error { return Available() }

// Listen always fails outside Linux.
func Listen(path, network, addr string) (net.Listener, error) { return nil, Available() }

// Dial connects to addr from the host when path is "" and fails for any
// other path outside Linux; ctx bounds the connecting only.
func Dial(ctx context.Context, path, network, addr string) (net.Conn, error) {
	if path == "" {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	return nil, Available()
}

// ReadFile always fails outside Linux.
func ReadFile(path, name string) ([]byte, error) { return nil, Available() }

// Hold always fails outside Linux.
func Hold() (path string, stop func(), err error) { return "", nil, Available() }
