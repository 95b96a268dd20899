package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMedian(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name string
		in   []time.Duration
		want time.Duration
	}{
		{"none", nil, 0},
		{"one", []time.Duration{5 * ms}, 5 * ms},
		{"odd, unsorted", []time.Duration{9 * ms, 1 * ms, 4 * ms}, 4 * ms},
		{"even", []time.Duration{4 * ms, 1 * ms, 3 * ms, 10 * ms}, 3500 * time.Microsecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, median(tc.in))
		})
	}
}

func TestCountTests(t *testing.T) {
	out := "=== RUN   TestA\n--- PASS: TestA (0.00s)\n    --- PASS: TestA/sub (0.00s)\n--- FAIL: TestB (0.01s)\n--- SKIP: TestC (0.00s)\nFAIL\n"
	assert.Equal(t, testCounts{pass: 1, fail: 1, skip: 1}, countTests(out))
	assert.Equal(t, "1/2 passed, 1 skipped", countTests(out).String())
}

func TestFindShimAndAddReplace(t *testing.T) {
	for _, tc := range []struct {
		name      string
		shimMod   string
		wantLines int
	}{
		{"shim requiring cnirt", "module github.com/cnirt/cni/compat\n\nrequire github.com/cnirt/cni v0.0.0\n", 2},
		{"shim at the reference's path, self-contained", "module github.com/containernetworking/cni\n", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(repo, "go.mod"), []byte("module github.com/cnirt/cni\n"), 0o644))
			require.NoError(t, os.MkdirAll(filepath.Join(repo, "compat"), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(repo, "compat", "go.mod"), []byte(tc.shimMod), 0o644))
			r, err := findShim(repo)
			require.NoError(t, err)
			assert.Equal(t, filepath.Join(repo, "compat"), r.shimDir)
			require.Len(t, r.lines, tc.wantLines)
			assert.Equal(t, refModule+" => "+filepath.Join(repo, "compat"), r.lines[0])

			client := filepath.Join(t.TempDir(), "go.mod")
			require.NoError(t, os.WriteFile(client, []byte("module example.com/client\n\nrequire github.com/containernetworking/cni v1.3.1"), 0o644))
			require.NoError(t, addReplace(client, r.lines))
			data, err := os.ReadFile(client)
			require.NoError(t, err)
			assert.Contains(t, string(data), "v1.3.1\n\nreplace "+r.lines[0]+"\n")
			assert.Equal(t, "example.com/client", modulePath(data))
		})
	}
}

func TestFindShimWithoutShim(t *testing.T) {
	repo := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(repo, "go.mod"), []byte("module github.com/cnirt/cni\n"), 0o644))
	_, err := findShim(repo)
	assert.ErrorContains(t, err, "found 0")
}

func TestSourceHashFollowsSources(t *testing.T) {
	repo := t.TempDir()
	write := func(name, text string) {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(repo, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(repo, name), []byte(text), 0o644))
	}
	write("go.mod", "module m\n")
	write("libcni/a.go", "package libcni\n")
	h1, err := sourceHash(repo)
	require.NoError(t, err)
	write("libcni/a_test.go", "package libcni\n")
	write("examples/x/main.go", "package main\n")
	h2, err := sourceHash(repo)
	require.NoError(t, err)
	assert.Equal(t, h1, h2, "tests and examples are not part of the library")
	write("compat/libcni/b.go", "package libcni\n")
	h3, err := sourceHash(repo)
	require.NoError(t, err)
	assert.NotEqual(t, h1, h3, "the shim is")
}

func TestPauseImageArchive(t *testing.T) {
	archive, err := pauseImage("registry.k8s.io/pause:test", []byte("binary"))
	require.NoError(t, err)
	files := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(archive))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		data, err := io.ReadAll(tr)
		require.NoError(t, err)
		files[hdr.Name] = data
	}
	require.Contains(t, files, "oci-layout")
	var index struct {
		Manifests []descriptor `json:"manifests"`
	}
	require.NoError(t, json.Unmarshal(files["index.json"], &index))
	require.Len(t, index.Manifests, 1)
	assert.Equal(t, "registry.k8s.io/pause:test", index.Manifests[0].Annotations["io.containerd.image.name"])
	blobOf := func(d descriptor) []byte {
		data, ok := files["blobs/sha256/"+d.Digest[len("sha256:"):]]
		require.True(t, ok, "blob %s", d.Digest)
		assert.Equal(t, newBlob(d.MediaType, data).desc.Digest, d.Digest, "digest matches the content")
		assert.EqualValues(t, len(data), d.Size)
		return data
	}
	var manifest struct {
		Config descriptor   `json:"config"`
		Layers []descriptor `json:"layers"`
	}
	require.NoError(t, json.Unmarshal(blobOf(index.Manifests[0]), &manifest))
	var config struct {
		Config struct {
			Entrypoint []string `json:"Entrypoint"`
		} `json:"config"`
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	require.NoError(t, json.Unmarshal(blobOf(manifest.Config), &config))
	assert.Equal(t, []string{"/pause"}, config.Config.Entrypoint)
	require.Len(t, manifest.Layers, 1)
	assert.Equal(t, []string{manifest.Layers[0].Digest}, config.RootFS.DiffIDs, "uncompressed layer: diff ID is its digest")
	layer := tar.NewReader(bytes.NewReader(blobOf(manifest.Layers[0])))
	hdr, err := layer.Next()
	require.NoError(t, err)
	assert.Equal(t, "pause", hdr.Name)
	assert.EqualValues(t, 0o755, hdr.Mode)
	data, err := io.ReadAll(layer)
	require.NoError(t, err)
	assert.Equal(t, "binary", string(data))
}

func TestPruneStaleKeepsTheCurrentBuild(t *testing.T) {
	cache := t.TempDir()
	for _, d := range []string{"containerd-v1-cnirt-aaa", "containerd-v1-cnirt-bbb", "containerd-v1-ref", "plugins-v1-cnirt-aaa"} {
		require.NoError(t, os.MkdirAll(filepath.Join(cache, d), 0o755))
	}
	pruneStale(cache, "containerd-v1-cnirt-", "containerd-v1-cnirt-bbb")
	entries, err := os.ReadDir(cache)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{"containerd-v1-cnirt-bbb", "containerd-v1-ref", "plugins-v1-cnirt-aaa"}, names)
}

// TestEmbedsShim: the build information must show the reference's module
// replaced by a shim directory, from this checkout or another one with the
// same sources; another replacement, or none, does not count.
func TestEmbedsShim(t *testing.T) {
	for _, tc := range []struct {
		name, out string
		want      bool
	}{
		{"this checkout", "bin: go1.26\n\tdep\tgithub.com/containernetworking/cni\tv1.3.1\n\t=>\t/src/cnirt/compat\t(devel)\t\n", true},
		{"another checkout", "bin: go1.26\n\tdep\tgithub.com/containernetworking/cni\tv1.3.1\n\t=>\t/tmp/ci-1/compat\t(devel)\t\n", true},
		{"no replacement", "bin: go1.26\n\tdep\tgithub.com/containernetworking/cni\tv1.3.1\th1:abc\n", false},
		{"another module replaced", "bin: go1.26\n\tdep\tgithub.com/cnirt/cni\tv0.0.0\n\t=>\t/tmp/x/compat\t(devel)\t\n\tdep\tgithub.com/containernetworking/cni\tv1.3.1\th1:abc\n", false},
		{"replaced elsewhere", "bin: go1.26\n\tdep\tgithub.com/containernetworking/cni\tv1.3.1\n\t=>\t/tmp/fork\t(devel)\t\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, embedsShim(tc.out, "/src/cnirt/compat"))
		})
	}
}
