package libcni_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
)

func holdTestList(t *testing.T, name string) *libcni.NetworkConfigList {
	t.Helper()
	l, err := libcni.ConfListFromBytes([]byte(fmt.Sprintf(`{"cniVersion":"1.0.0","name":%q,"plugins":[{"type":"p"}]}`, name)))
	require.NoError(t, err)
	return l
}

// TestHoldContainerParallelAndExclusive shows that ADDs of one container
// in several networks overlap under HoldContainer, while an operation on
// the container through another context waits for the release.
func TestHoldContainerParallelAndExclusive(t *testing.T) {
	t.Parallel()
	f := newFakeExec()
	var running, peak atomic.Int32
	f.hook = func(ctx context.Context, c fakeCall) {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(30 * time.Millisecond)
		running.Add(-1)
	}
	cni := libcni.NewCNIConfigWithCacheDir([]string{"/bin"}, t.TempDir(), f)
	nets := []*libcni.NetworkConfigList{holdTestList(t, "n1"), holdTestList(t, "n2"), holdTestList(t, "n3")}

	ctx, release, err := cni.HoldContainer(context.Background(), "ctr", "n1", "n2", "n3")
	require.NoError(t, err)

	// Another ADD of the same container, without the held context, must
	// wait until release.
	otherDone := make(chan time.Time, 1)
	go func() {
		_, err := cni.AddNetworkList(context.Background(), holdTestList(t, "n4"), &libcni.RuntimeConf{ContainerID: "ctr", IfName: "net9"})
		assert.NoError(t, err)
		otherDone <- time.Now()
	}()

	var wg sync.WaitGroup
	for i, n := range nets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := cni.AddNetworkList(ctx, n, &libcni.RuntimeConf{ContainerID: "ctr", IfName: fmt.Sprintf("eth%d", i)})
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	assert.GreaterOrEqual(t, peak.Load(), int32(2), "ADDs under the held context overlap")
	select {
	case <-otherDone:
		t.Fatal("an ADD of the held container ran before release")
	case <-time.After(50 * time.Millisecond):
	}
	released := time.Now()
	release(false)
	select {
	case at := <-otherDone:
		assert.False(t, at.Before(released))
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting ADD did not run after release")
	}
}

// TestHoldContainerScope: the held context only covers the container and
// networks it names; other containers lock as usual, and what would wait
// for the hold's own locks fails at once, before any plugin runs.
func TestHoldContainerScope(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := newFakeExec()
	cni := libcni.NewCNIConfigWithCacheDir([]string{"/bin"}, dir, f)
	// A stale attachment of the held container in n2, for GC to find.
	_, err := cni.AddNetworkList(context.Background(), holdTestList(t, "n2"), &libcni.RuntimeConf{ContainerID: "ctr", IfName: "eth1"})
	require.NoError(t, err)

	ctx, release, err := cni.HoldContainer(context.Background(), "ctr", "n1")
	require.NoError(t, err)
	defer release(false)

	// Another container is not held at all.
	_, err = cni.AddNetworkList(ctx, holdTestList(t, "n1"), &libcni.RuntimeConf{ContainerID: "other", IfName: "eth0"})
	require.NoError(t, err)

	other := libcni.NewCNIConfigWithCacheDir([]string{"/bin"}, dir, f)
	tests := []struct {
		name        string
		op          func(ctx context.Context) error
		command     string
		network     string
		containerID string
	}{
		{"ADD in a network not held", func(ctx context.Context) error {
			_, err := cni.AddNetworkList(ctx, holdTestList(t, "n2"), &libcni.RuntimeConf{ContainerID: "ctr", IfName: "eth0"})
			return err
		}, "ADD", "n2", "ctr"},
		{"DEL through another CNIConfig", func(ctx context.Context) error {
			return other.DelNetworkList(ctx, holdTestList(t, "n1"), &libcni.RuntimeConf{ContainerID: "ctr", IfName: "eth0"})
		}, "DEL", "n1", "ctr"},
		{"GC of a held network", func(ctx context.Context) error {
			return cni.GCNetworkList(ctx, holdTestList(t, "n1"), &libcni.GCArgs{})
		}, "GC", "n1", ""},
		{"GC's DEL of the held container", func(ctx context.Context) error {
			return cni.GCNetworkList(ctx, holdTestList(t, "n2"), &libcni.GCArgs{})
		}, "DEL", "n2", "ctr"},
		{"nested hold", func(ctx context.Context) error {
			_, _, err := cni.HoldContainer(ctx, "ctr", "n2")
			return err
		}, "HoldContainer", "", "ctr"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(f.Calls(""))
			// A deadline far away: the error must come from the
			// conflict, not from the wait ending.
			opCtx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			err := tc.op(opCtx)
			var hce *libcni.HoldConflictError
			require.ErrorAs(t, err, &hce)
			assert.NotErrorIs(t, err, context.DeadlineExceeded)
			assert.Equal(t, tc.command, hce.Command)
			assert.Equal(t, tc.network, hce.Network)
			assert.Equal(t, tc.containerID, hce.ContainerID)
			assert.Equal(t, libcni.HeldLocks{ContainerID: "ctr", Networks: []string{"n1"}}, hce.Held)
			assert.Contains(t, err.Error(), `container "ctr" in networks ["n1"]`)
			assert.Len(t, f.Calls(""), before, "no plugin ran")
		})
	}

	_, _, err = cni.HoldContainer(context.Background(), "bad/id", "n1")
	var ire *libcni.InvalidRuntimeConfError
	require.ErrorAs(t, err, &ire)
	assert.Equal(t, "containerID", ire.Field)
}

// TestHoldContainerReleaseEndsTheHold: after release the held context no
// longer stands for the locks, so an operation run with it waits for
// whoever holds the container now; a second release does nothing.
func TestHoldContainerReleaseEndsTheHold(t *testing.T) {
	t.Parallel()
	cni := libcni.NewCNIConfigWithCacheDir([]string{"/bin"}, t.TempDir(), newFakeExec())
	oldCtx, release, err := cni.HoldContainer(context.Background(), "ctr", "n1")
	require.NoError(t, err)
	release(false)
	release(true) // no effect: the locks are not released twice

	_, release2, err := cni.HoldContainer(context.Background(), "ctr", "n1")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		_, err := cni.AddNetworkList(oldCtx, holdTestList(t, "n1"), &libcni.RuntimeConf{ContainerID: "ctr", IfName: "eth0"})
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("an ADD with a released hold's context ran inside another hold (err %v)", err)
	case <-time.After(100 * time.Millisecond):
	}
	release2(false)
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the ADD did not run after the second hold was released")
	}
}
