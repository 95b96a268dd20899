//go:build unix

package libcni_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	refcni "github.com/containernetworking/cni/libcni"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/types/create"
)

// The crash test: a child process (this test binary, running
// TestCrashChild) does ADD and DEL in a loop on a shared cache directory and
// is killed with SIGKILL at a random moment; after each kill the parent
// checks that every cache entry parses (with cnirt and with the reference),
// that DEL of every attachment succeeds (so no lock was left held and no
// entry is unreadable), and that the temporary files the kills left behind
// are kept while young and reclaimed once older than the documented age.

// Set CNIRT_CRASH_KILLS to kill more often than the default 100 times.
const (
	crashChildEnv      = "CNIRT_CRASH_CHILD_CACHE"
	crashKillsEnv      = "CNIRT_CRASH_KILLS"
	crashDefaultKills  = 100
	crashContainers    = 4
	crashDocumentedAge = 10 * time.Minute // libcni's staleTempAge, see cache.go
)

// crashList is the network the child and the parent operate on.
func crashList(t testing.TB) *libcni.NetworkConfigList {
	t.Helper()
	list, err := libcni.ConfListFromBytes([]byte(listConf("1.0.0", "a", "b")))
	require.NoError(t, err)
	return list
}

// crashRT is the runtime configuration of container i; the child's carry a
// large capability argument, so that each cache write takes a while and
// kills land inside writes too.
func crashRT(i int, payload string) *libcni.RuntimeConf {
	rt := &libcni.RuntimeConf{ContainerID: "ctr-" + strconv.Itoa(i), NetNS: "/var/run/netns/crash", IfName: "eth0",
		Args: [][2]string{{"IgnoreUnknown", "true"}}}
	if payload != "" {
		rt.CapabilityArgs = map[string]interface{}{"blob": payload}
	}
	return rt
}

const crashResult = `{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/var/run/netns/crash"}],` +
	`"ips":[{"interface":0,"address":"198.18.0.5/24","gateway":"198.18.0.1"}]}`

// TestCrashChild is the child's body; it does nothing unless started by
// TestCrashKilledWritersLeaveAUsableCache.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		return
	}
	fe := newFakeExec()
	fe.out["a/ADD"] = crashResult
	c := libcni.NewCNIConfigWithOptions([]string{"/fake"}, fe, libcni.WithCacheDir(dir), libcni.WithDurableCache(true))
	list := crashList(t)
	payload := strings.Repeat("x", 256<<10)
	ctx := context.Background()
	fmt.Println("ready")
	for i := 0; ; i++ {
		rt := crashRT(i%crashContainers, payload)
		if _, err := c.AddNetworkList(ctx, list, rt); err != nil {
			fmt.Fprintln(os.Stderr, "ADD:", err)
			os.Exit(3)
		}
		if i%3 != 0 {
			if err := c.DelNetworkList(ctx, list, rt); err != nil {
				fmt.Fprintln(os.Stderr, "DEL:", err)
				os.Exit(3)
			}
		}
	}
}

func TestCrashKilledWritersLeaveAUsableCache(t *testing.T) {
	if os.Getenv(crashChildEnv) != "" {
		return
	}
	kills := crashDefaultKills
	if s := os.Getenv(crashKillsEnv); s != "" {
		n, err := strconv.Atoi(s)
		require.NoError(t, err, crashKillsEnv)
		kills = n
	}
	dir := t.TempDir()
	results := filepath.Join(dir, "results")
	list := crashList(t)
	fe := newFakeExec()
	parent := libcni.NewCNIConfigWithOptions([]string{"/fake"}, fe, libcni.WithCacheDir(dir))
	ref := refcni.NewCNIConfigWithCacheDir([]string{"/fake"}, dir, nil)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 13))

	start := time.Now()
	tempsLeft, entriesSeen := 0, 0
	// Kill at least kills times, and on until a kill has left a temporary
	// file (on tmpfs a write is short, so few kills land inside one) and
	// one has left entries (on a loaded machine the child may not finish
	// an ADD before most kills; an ADD's temporary file exists from before
	// its plugins run, so more kills land inside one than entries survive).
	kill := 0
	for ; kill < kills || ((tempsLeft == 0 || entriesSeen == 0) && kill < 10*kills); kill++ {
		crashRunAndKill(t, dir, time.Duration(rng.IntN(25_000))*time.Microsecond)

		// Every cache entry parses, with cnirt's reader and the reference's.
		names, temps := crashListResults(t, results)
		for _, name := range names {
			crashRequireEntry(t, filepath.Join(results, name))
		}
		refAtts, err := ref.GetCachedAttachments("")
		require.NoError(t, err)
		var refNames []string // the reference also lists complete temporary files
		for _, a := range refAtts {
			refNames = append(refNames, "testnet-"+a.ContainerID+"-"+a.IfName)
		}
		assert.Subset(t, refNames, names, "the reference reads every entry")

		// Temporary files: kept while young (a writer may still be at
		// work), reclaimed once older than the documented age.
		tempsLeft += len(temps)
		for i, tmp := range temps {
			age := crashDocumentedAge + time.Minute
			if i%2 == 1 {
				age = crashDocumentedAge - time.Minute
			}
			old := time.Now().Add(-age)
			require.NoError(t, os.Chtimes(filepath.Join(results, tmp), old, old))
		}
		atts, err := parent.GetCachedAttachments("")
		require.NoError(t, err)
		require.Len(t, atts, len(names))
		entriesSeen += len(atts)
		_, stillTemp := crashListResults(t, results)
		var wantKept []string
		for i, tmp := range temps {
			if i%2 == 1 {
				wantKept = append(wantKept, tmp)
			}
		}
		assert.ElementsMatch(t, wantKept, stillTemp, "only temporary files older than %v are removed", crashDocumentedAge)
		for _, tmp := range stillTemp {
			require.NoError(t, os.Remove(filepath.Join(results, tmp)))
		}

		// DEL of every attachment succeeds, within bounds: no lock is left
		// held by the killed process.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		for _, a := range atts {
			rt := &libcni.RuntimeConf{ContainerID: a.ContainerID, IfName: a.IfName, NetNS: a.NetNS}
			require.NoError(t, parent.DelNetworkList(ctx, list, rt), "DEL %s after kill %d", a.ContainerID, kill)
		}
		for i := 0; i < crashContainers; i++ {
			require.NoError(t, parent.DelNetworkList(ctx, list, crashRT(i, "")), "DEL ctr-%d after kill %d", i, kill)
		}
		cancel()
		names, _ = crashListResults(t, results)
		require.Empty(t, names, "DEL removed every entry")
	}
	t.Logf("%d kills in %v: %d cache entries and %d temporary files left by the kills checked",
		kill, time.Since(start).Round(time.Millisecond), entriesSeen, tempsLeft)
	assert.Positive(t, entriesSeen, "some kills left entries to check")
	assert.Positive(t, tempsLeft, "some kills left temporary files to reclaim")
}

// crashRunAndKill starts the child, waits until it is looping, lets it run
// for after, then kills it with SIGKILL.
func crashRunAndKill(t *testing.T, dir string, after time.Duration) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("child did not start: %q %v; stderr: %s", line, err, stderr.String())
	}
	time.Sleep(after)
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	err = cmd.Wait()
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	require.True(t, ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL,
		"child ended by the kill, not on its own: %v; stderr: %s", err, stderr.String())
}

// crashListResults returns the entry names and the temporary file names in
// the results directory.
func crashListResults(t *testing.T, results string) (names, temps []string) {
	t.Helper()
	entries, err := os.ReadDir(results)
	if os.IsNotExist(err) {
		return nil, nil
	}
	require.NoError(t, err)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			temps = append(temps, e.Name())
		} else {
			names = append(names, e.Name())
		}
	}
	return names, temps
}

// crashRequireEntry requires file to be a complete cniCacheV1 entry of the
// crash network whose result decodes.
func crashRequireEntry(t *testing.T, file string) {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var e struct {
		Kind        string          `json:"kind"`
		ContainerID string          `json:"containerId"`
		IfName      string          `json:"ifName"`
		NetworkName string          `json:"networkName"`
		Config      []byte          `json:"config"`
		Result      json.RawMessage `json:"result"`
	}
	require.NoError(t, json.Unmarshal(data, &e), "entry %s (%d bytes) parses", file, len(data))
	assert.Equal(t, libcni.CNICacheV1, e.Kind)
	assert.Equal(t, "testnet-"+e.ContainerID+"-"+e.IfName, filepath.Base(file))
	assert.Equal(t, "testnet", e.NetworkName)
	assert.NotEmpty(t, e.Config)
	res, err := create.CreateFromBytes(e.Result)
	require.NoError(t, err, "result of %s", file)
	assert.Equal(t, "1.0.0", res.Version())
}
