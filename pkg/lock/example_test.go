package lock_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cnirt/cni/pkg/lock"
)

// Example shows the intended use by a CNI runtime: networks are taken shared
// by ADD/CHECK/DEL and exclusively by GC; containers are taken exclusively,
// always after the network.
func Example() {
	cacheDir, err := os.MkdirTemp("", "cache")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(cacheDir)

	networks, err := lock.New(filepath.Join(cacheDir, "locks", "network"))
	if err != nil {
		fmt.Println(err)
		return
	}
	containers, err := lock.New(filepath.Join(cacheDir, "locks", "container"))
	if err != nil {
		fmt.Println(err)
		return
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// DEL of container "abc123" on network "mynet".
	n, err := networks.RLock(ctx, "mynet")
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := containers.Lock(ctx, "abc123")
	if err != nil {
		_ = n.Unlock()
		fmt.Println(err)
		return
	}
	fmt.Println("deleting", c.Key(), "on", n.Key(), "shared:", n.Shared())
	// The container is gone: drop its lock file too.
	fmt.Println(c.UnlockAndRemove(), n.Unlock())

	// A GC waits for every ADD/CHECK/DEL on the network.
	g, err := networks.Lock(ctx, "mynet")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("gc holds", g.Key(), "shared:", g.Shared())
	fmt.Println(g.Unlock())

	// Keys are validated, never turned into arbitrary paths.
	_, err = containers.Lock(ctx, "../escape")
	fmt.Println(err)

	// Output:
	// deleting abc123 on mynet shared: true
	// <nil> <nil>
	// gc holds mynet shared: false
	// <nil>
	// lock: invalid key "../escape": must start with an ASCII letter or digit
}

// A directory where no lock file can be created (here a file stands in its
// place): fall back to locks that serialise the goroutines of this process
// only, rather than refusing to work.
func ExampleNewProcessLocal() {
	tmp, _ := os.MkdirTemp("", "locks")
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "locks")
	_ = os.WriteFile(dir, nil, 0o600)

	l, err := lock.New(dir)
	if err != nil {
		fmt.Println("lock files unusable; locking within the process only")
		l = lock.NewProcessLocal(dir)
	}
	defer l.Close()
	h, err := l.Lock(context.Background(), "container-1")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("held; process-local:", l.ProcessLocal())
	_ = h.Unlock()
	// Output:
	// lock files unusable; locking within the process only
	// held; process-local: true
}
