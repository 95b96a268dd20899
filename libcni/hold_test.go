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
// networks it names; other operations lock as usual.
func TestHoldContainerScope(t *testing.T) {
	t.Parallel()
	cni := libcni.NewCNIConfigWithCacheDir([]string{"/bin"}, t.TempDir(), newFakeExec())
	ctx, release, err := cni.HoldContainer(context.Background(), "ctr", "n1")
	require.NoError(t, err)
	defer release(false)

	// A network not named takes the container lock, held by ctx's owner:
	// it waits and times out.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = cni.AddNetworkList(short, holdTestList(t, "n2"), &libcni.RuntimeConf{ContainerID: "ctr", IfName: "eth0"})
	require.ErrorIs(t, err, context.DeadlineExceeded)

	// Another container is not held at all.
	_, err = cni.AddNetworkList(ctx, holdTestList(t, "n1"), &libcni.RuntimeConf{ContainerID: "other", IfName: "eth0"})
	require.NoError(t, err)

	_, _, err = cni.HoldContainer(context.Background(), "bad/id", "n1")
	var ire *libcni.InvalidRuntimeConfError
	require.ErrorAs(t, err, &ire)
	assert.Equal(t, "containerID", ire.Field)
}
