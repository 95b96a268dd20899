package libcni_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cnirt/cni/libcni"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDelAndListTolerateBadCacheEntries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
		// legacy: the reference reads a JSON document that is not a
		// cniCacheV1 entry as a bare pre-cniCacheV1 result, which gives
		// the plugins an empty prevResult; cnirt does the same.
		legacy bool
	}{
		{"empty", "", false},
		{"truncated", `{"kind":"cniCacheV1","containerId":"ctr1","config":"e30=","ifName":"eth0","networkName":"testnet","result":{"cniVer`, false},
		{"not JSON", "\x00\x01garbage", false},
		{"JSON null", "null", true},
		{"wrong kind", `{"kind":"somethingElse","containerId":"ctr1","ifName":"eth0","networkName":"testnet"}`, true},
		// An entry without a result reads as an empty result of the
		// reference's default version, as in the reference.
		{"no result", `{"kind":"cniCacheV1","containerId":"ctr1","config":"e30=","ifName":"eth0","networkName":"testnet"}`, true},
		{"bad result", `{"kind":"cniCacheV1","containerId":"ctr1","config":"e30=","ifName":"eth0","networkName":"testnet","result":{"cniVersion":"1.0.0","ips":"nope"}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, fe, dir := newTestConfig(t)
			list := mustList(t, listConf("1.0.0", "a", "b"))
			ctx := context.Background()
			// A good entry of another container next to the bad one.
			other := testRT()
			other.ContainerID = "ctr2"
			_, err := c.AddNetworkList(ctx, list, other)
			require.NoError(t, err)
			bad := filepath.Join(dir, "results", "testnet-ctr1-eth0")
			require.NoError(t, os.WriteFile(bad, []byte(tt.content), 0o600))

			atts, err := c.GetCachedAttachments("")
			require.NoError(t, err)
			if tt.name == "no result" || tt.name == "bad result" {
				// Well-formed entries: listed, as the reference does.
				assert.Len(t, atts, 2)
			} else {
				require.Len(t, atts, 1)
				assert.Equal(t, "ctr2", atts[0].ContainerID)
			}

			require.NoError(t, c.DelNetworkList(ctx, list, testRT()))
			dels := fe.Calls("DEL")
			require.Len(t, dels, 2)
			for _, d := range dels {
				if tt.legacy {
					assert.Equal(t, map[string]any{"cniVersion": "1.0.0"}, d.conf(t)["prevResult"])
				} else {
					assert.NotContains(t, d.conf(t), "prevResult")
				}
			}
			_, err = os.Stat(bad)
			assert.ErrorIs(t, err, os.ErrNotExist, "the bad entry is removed")
		})
	}
}

// TestOversizedCacheEntryIsNotRead: a cache file over MaxCacheEntrySize,
// even a well-formed entry, is skipped by the listing, refused with an
// error naming it by the cached-result getter, and still torn down by DEL.
func TestOversizedCacheEntryIsNotRead(t *testing.T) {
	t.Parallel()
	c, fe, dir := newTestConfig(t)
	list := mustList(t, listConf("1.0.0", "a"))
	ctx := context.Background()
	rt := testRT()
	_, err := c.AddNetworkList(ctx, list, rt)
	require.NoError(t, err)
	name := filepath.Join(dir, "results", "testnet-ctr1-eth0")
	entry, err := os.ReadFile(name)
	require.NoError(t, err)
	// The same entry, padded with white space past the limit.
	padded := append(entry[:len(entry)-1], bytes.Repeat([]byte(" "), libcni.MaxCacheEntrySize)...)
	padded = append(padded, '}')
	require.NoError(t, os.WriteFile(name, padded, 0o600))

	atts, err := c.GetCachedAttachments("")
	require.NoError(t, err)
	assert.Empty(t, atts)
	_, err = c.GetNetworkListCachedResult(list, rt)
	require.Error(t, err)
	assert.Contains(t, err.Error(), name+" is larger than the 64 MiB limit for cache entries")

	require.NoError(t, c.DelNetworkList(ctx, list, rt))
	dels := fe.Calls("DEL")
	require.Len(t, dels, 1)
	assert.NotContains(t, dels[0].conf(t), "prevResult")
	_, err = os.Stat(name)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestCacheWritesLeaveNoTemporaryFiles(t *testing.T) {
	t.Parallel()
	for _, durable := range []bool{false, true} {
		c, _, dir := newTestConfig(t, libcni.WithDurableCache(durable))
		list := mustList(t, listConf("1.0.0", "a"))
		for range 3 {
			_, err := c.AddNetworkList(context.Background(), list, testRT())
			require.NoError(t, err)
		}
		entries, err := os.ReadDir(filepath.Join(dir, "results"))
		require.NoError(t, err)
		require.Len(t, entries, 1)
		assert.Equal(t, "testnet-ctr1-eth0", entries[0].Name())
		require.NoError(t, c.DelNetworkList(context.Background(), list, testRT()))
		entries, err = os.ReadDir(filepath.Join(dir, "results"))
		require.NoError(t, err)
		assert.Empty(t, entries)
	}
}

func TestCacheReadersNeverSeePartialFiles(t *testing.T) {
	t.Parallel()
	// Serialization off, so the reader is not held back by locks: what is
	// tested is the atomic rename alone.
	c, fe, dir := newTestConfig(t, libcni.WithSerialization(false))
	// A large result makes a torn write likely if writes were not atomic.
	big := `{"cniVersion":"1.0.0","dns":{"search":[` + repeatJSON(`"example.test"`, 4000) + `]}}`
	fe.out["a/ADD"] = big
	list := mustList(t, listConf("1.0.0", "a"))
	name := filepath.Join(dir, "results", "testnet-ctr1-eth0")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	reads := 0
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			data, err := os.ReadFile(name)
			if err != nil {
				continue
			}
			reads++
			if !json.Valid(data) {
				t.Errorf("partial cache file seen (%d bytes)", len(data))
				return
			}
		}
	}()
	for range 30 {
		_, err := c.AddNetworkList(context.Background(), list, testRT())
		require.NoError(t, err)
	}
	close(stop)
	wg.Wait()
	assert.Positive(t, reads)
}

func repeatJSON(item string, n int) string {
	b := make([]byte, 0, (len(item)+1)*n)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, item...)
	}
	return string(b)
}

func TestTemporaryFilesAreIgnoredAndStaleOnesRemoved(t *testing.T) {
	t.Parallel()
	c, _, dir := newTestConfig(t)
	list := mustList(t, listConf("1.0.0", "a"))
	_, err := c.AddNetworkList(context.Background(), list, testRT())
	require.NoError(t, err)
	results := filepath.Join(dir, "results")
	good, err := os.ReadFile(filepath.Join(results, "testnet-ctr1-eth0"))
	require.NoError(t, err)
	// Complete-looking files left by writers: one that may still be
	// running, one that crashed long ago.
	fresh := filepath.Join(results, ".tmp-testnet-ctr9-eth0-111")
	stale := filepath.Join(results, ".tmp-testnet-ctr8-eth0-222")
	require.NoError(t, os.WriteFile(fresh, good, 0o600))
	require.NoError(t, os.WriteFile(stale, good, 0o600))
	old := time.Now().Add(-time.Hour)
	require.NoError(t, os.Chtimes(stale, old, old))

	atts, err := c.GetCachedAttachments("")
	require.NoError(t, err)
	require.Len(t, atts, 1, "temporary files are not attachments")
	_, err = os.Stat(stale)
	assert.ErrorIs(t, err, os.ErrNotExist, "a stale temporary file is removed")
	_, err = os.Stat(fresh)
	assert.NoError(t, err, "a recent temporary file may belong to a running writer")
}

func TestGetCachedAttachmentsMissingDir(t *testing.T) {
	t.Parallel()
	c := libcni.NewCNIConfigWithCacheDir(nil, filepath.Join(t.TempDir(), "nope"), newFakeExec())
	atts, err := c.GetCachedAttachments("")
	require.NoError(t, err)
	assert.Empty(t, atts)
}

func TestCacheDirPrecedence(t *testing.T) {
	t.Parallel()
	fe := newFakeExec()
	rtDir := t.TempDir()
	list := mustList(t, listConf("1.0.0", "a"))
	rt := testRT()
	rt.CacheDir = rtDir
	// No CNIConfig cache dir: the RuntimeConf's is used.
	c := libcni.NewCNIConfig([]string{"/bin"}, fe)
	_, err := c.AddNetworkList(context.Background(), list, rt)
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(rtDir, "results", "testnet-ctr1-eth0"))
	require.NoError(t, err)
	// The CNIConfig's wins over the RuntimeConf's.
	cfgDir := t.TempDir()
	c = libcni.NewCNIConfigWithCacheDir([]string{"/bin"}, cfgDir, fe)
	_, err = c.AddNetworkList(context.Background(), list, rt)
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(cfgDir, "results", "testnet-ctr1-eth0"))
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(cfgDir, "locks"))
	assert.NoError(t, err, "lock files live under the cache directory")
}
