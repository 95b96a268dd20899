//go:build linux

package netns

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireNamespaces fails (CI=true) or skips the test when namespaces
// cannot be created here.
func requireNamespaces(t *testing.T) {
	t.Helper()
	if err := Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("prerequisite missing (CI=true): %v", err)
		}
		t.Skipf("prerequisite missing: %v", err)
	}
}

func TestSocketsLiveInTheNamespace(t *testing.T) {
	requireNamespaces(t)
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns, err := Create(ctx, fmt.Sprintf("cnirt-netns-test-%d", os.Getpid()))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, ns.Delete(context.Background())) })
	require.NoError(t, IP(ctx, "-n", ns.Name, "link", "set", "lo", "up"))

	ln, err := Listen(ns.Path, "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- ServeLines(ln, func(l string) string { return "inside:" + l }) }()
	t.Cleanup(func() { ln.Close(); assert.NoError(t, <-done) })
	addr := ln.Addr().String()

	got, err := ExchangeRetry(ctx, ns.Path, "tcp", addr, "ping")
	require.NoError(t, err, "exchange inside the namespace")
	assert.Equal(t, "inside:ping", got)

	// The host's loopback is another one: the listener is not there.
	hctx, hcancel := context.WithTimeout(ctx, time.Second)
	got, err = Exchange(hctx, "", "tcp", addr, "ping")
	hcancel()
	if err == nil {
		assert.NotEqual(t, "inside:ping", got, "the host reached the namespace's listener")
	}

	// A fresh namespace has only lo; the host's view is restored after Do.
	dev, err := ReadFile(ns.Path, "/proc/thread-self/net/dev")
	require.NoError(t, err)
	var links []string
	for _, l := range strings.Split(string(dev), "\n") {
		if name, _, ok := strings.Cut(l, ":"); ok {
			links = append(links, strings.TrimSpace(name))
		}
	}
	assert.Equal(t, []string{"lo"}, links)

	assert.False(t, LinkExists("cnirt-nonexistent0"))
	assert.True(t, LinkExists("lo"))
	require.Error(t, Do("/nonexistent/netns", func() error { return nil }))
	err = IP(ctx, "netns", "del", "cnirt-no-such-namespace")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ip netns del cnirt-no-such-namespace")
}
