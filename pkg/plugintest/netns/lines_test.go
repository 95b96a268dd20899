package netns_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/pkg/plugintest/netns"
)

// serve starts ServeLines with reply on a host loopback listener.
func serve(t *testing.T, reply func(string) string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- netns.ServeLines(ln, reply) }()
	t.Cleanup(func() {
		require.NoError(t, ln.Close())
		assert.NoError(t, <-done, "ServeLines returns nil once the listener is closed")
	})
	return ln.Addr().String()
}

func TestExchangeWithServeLines(t *testing.T) {
	t.Parallel()
	addr := serve(t, strings.ToUpper)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tests := []struct{ send, want string }{
		{send: "hello", want: "HELLO"},
		{send: "", want: ""},
		{send: "with spaces ", want: "WITH SPACES "},
	}
	for _, tc := range tests {
		got, err := netns.Exchange(ctx, "", "tcp", addr, tc.send)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got)
	}
}

func TestExchangeRetryWaitsForTheListener(t *testing.T) {
	t.Parallel()
	// Reserve a port, free it, and start serving on it only later.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	go func() {
		time.Sleep(300 * time.Millisecond)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return // the port was taken meanwhile; the test then fails below
		}
		defer ln.Close()
		_ = netns.ServeLines(ln, func(l string) string { return "late:" + l })
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = netns.Exchange(ctx, "", "tcp", addr, "x")
	require.Error(t, err, "nothing listens yet")
	got, err := netns.ExchangeRetry(ctx, "", "tcp", addr, "x")
	require.NoError(t, err)
	assert.Equal(t, "late:x", got)
}

func TestExchangeRetryGivesUpWithTheContext(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	_, err = netns.ExchangeRetry(ctx, "", "tcp", addr, "x")
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}
