package libcni

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/cnirt/cni/pkg/jsonx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCacheFileIO(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		size int
	}{
		{"empty", 0},
		{"small", 100},
		{"exactly the first buffer", 4096},
		{"larger than the first buffer", 3*4096 + 17},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "results")
			name := filepath.Join(dir, "net-ctr-eth0")
			data := bytes.Repeat([]byte("0123456789abcdef"), tt.size/16+1)[:tt.size]
			// The directory is missing: the write creates it.
			require.NoError(t, writeFileAtomic(name, data, false))
			got, err := readFileLimit(name, MaxCacheEntrySize)
			require.NoError(t, err)
			assert.Equal(t, data, got)
			info, err := os.Stat(name)
			require.NoError(t, err)
			assert.Equal(t, fs.FileMode(cacheFilePerm), info.Mode().Perm())
			// Replacing works and leaves no temporary file.
			require.NoError(t, writeFileAtomic(name, append(data, 'x'), true))
			got, err = readFileLimit(name, MaxCacheEntrySize)
			require.NoError(t, err)
			assert.Equal(t, append(data, 'x'), got)
			ents, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Len(t, ents, 1)
			assert.Equal(t, "net-ctr-eth0", ents[0].Name())

			require.NoError(t, removeFile(name))
			_, err = readFileLimit(name, MaxCacheEntrySize)
			assert.ErrorIs(t, err, fs.ErrNotExist)
			assert.ErrorIs(t, removeFile(name), fs.ErrNotExist)
		})
	}
}

func TestCreateExclusiveKeepsExistingFile(t *testing.T) {
	t.Parallel()
	name := filepath.Join(t.TempDir(), "taken")
	require.NoError(t, os.WriteFile(name, []byte("theirs"), 0o600))
	err := createExclusive(name, []byte("ours"), false)
	assert.ErrorIs(t, err, fs.ErrExist)
	got, err := os.ReadFile(name)
	require.NoError(t, err)
	assert.Equal(t, "theirs", string(got), "an existing file is neither overwritten nor removed")

	// A directory in the way of the cache file is an error, and the
	// temporary file is cleaned up.
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "entry"), 0o700))
	require.Error(t, writeFileAtomic(filepath.Join(dir, "entry"), []byte("x"), false))
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, ents, 1)
	assert.Equal(t, "entry", ents[0].Name())
}

// TestCachedAttachmentsFilters writes entries whose names share prefixes
// and dashes, enough of them for the listing to run on several goroutines,
// and checks every filter against a plain filter of the full listing.
func TestCachedAttachmentsFilters(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := NewCNIConfigWithCacheDir(nil, dir, nil)
	networks := []string{"a", "a-b", "a-b-c", "b"}
	containers := []string{"x", "x-y", "y", "z-x"} // no two network-container pairs give one file name
	n := 0
	for i := 0; n < 2*parallelListMin+10; i++ {
		for _, net := range networks {
			for _, ctr := range containers {
				rt := &RuntimeConf{ContainerID: ctr, IfName: fmt.Sprintf("eth%d", i), NetNS: "/run/netns/" + ctr,
					Args: [][2]string{{"K", ctr}}, CapabilityArgs: map[string]interface{}{"n": float64(i)}}
				require.NoError(t, c.writeCache(net, []byte(`{"name":"`+net+`"}`), []byte(`{"cniVersion":"1.0.0"}`), rt))
				n++
			}
		}
	}
	// Files that must be skipped: not an entry, wrong kind, no ifName.
	results := filepath.Join(dir, cacheResultsDir)
	require.NoError(t, os.WriteFile(filepath.Join(results, "a-x-bad"), []byte("{"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(results, "a-x-kind"), []byte(`{"kind":"other","containerId":"x","ifName":"kind","networkName":"a"}`), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(results, "a-x-noif"), []byte(`{"kind":"cniCacheV1","containerId":"x","networkName":"a"}`), 0o600))

	all, err := cachedAttachments(dir, "", "")
	require.NoError(t, err)
	require.Len(t, all, n)
	for i := 1; i < len(all); i++ {
		prev := all[i-1].Network + "-" + all[i-1].ContainerID + "-" + all[i-1].IfName
		cur := all[i].Network + "-" + all[i].ContainerID + "-" + all[i].IfName
		require.Less(t, prev, cur, "sorted by file name")
	}
	assert.Equal(t, []byte(`{"name":"`+all[0].Network+`"}`), all[0].Config)
	assert.Equal(t, [][2]string{{"K", all[0].ContainerID}}, all[0].CniArgs)

	for _, ctr := range append(containers, "") {
		for _, net := range append(networks, "") {
			var want []*NetworkAttachment
			for _, a := range all {
				if (ctr == "" || a.ContainerID == ctr) && (net == "" || a.Network == net) {
					want = append(want, a)
				}
			}
			got, err := cachedAttachments(dir, ctr, net)
			require.NoError(t, err)
			assert.Equal(t, len(want), len(got), "container %q network %q", ctr, net)
			assert.Equal(t, want, got, "container %q network %q", ctr, net)
		}
	}
}

// TestScanNameAgreesWithFullDecode checks the shortcut LoadNetworkConf and
// LoadConf take for other networks' files: whenever scanName answers, the
// answer is the name the full decode finds; when it does not, the full
// decode runs (and reports the problem) as before.
func TestScanNameAgreesWithFullDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		doc      string
		answers  bool // scanName answers (for both key matchings)
		wantName string
	}{
		{`{"name":"a","plugins":[{"name":"inner","type":"x"}]}`, true, "a"},
		{`  {"cniVersion":"1.0.0", "name" : "a-b"}  `, true, "a-b"},
		{`{"name":"first","name":"last"}`, true, "last"},
		{`{"name":"\u0061\n"}`, true, "a\n"},
		{`{"plugins":[{"name":"inner"}]}`, false, ""}, // no name: the full decode decides
		{`{"name":null}`, false, ""},
		{`{"name":7}`, false, ""},
		{`{"name":"a",}`, false, ""},
		{`{"name":"a"} x`, false, ""},
		{`["name","a"]`, false, ""},
		{`null`, false, ""},
		{`{"name":"a"`, false, ""},
	}
	var d jsonx.Decoder
	for _, tt := range tests {
		name, ok := scanName(&d, []byte(tt.doc), false)
		assert.Equal(t, tt.answers, ok, "list %s", tt.doc)
		if ok {
			top, err := decodeList([]byte(tt.doc))
			require.NoError(t, err, tt.doc)
			full, err := listName(top)
			require.NoError(t, err, tt.doc)
			assert.Equal(t, full, name, tt.doc)
			assert.Equal(t, tt.wantName, name, tt.doc)
		}
		foldName, foldOK := scanName(&d, []byte(tt.doc), true)
		assert.Equal(t, tt.answers, foldOK, "single %s", tt.doc)
		if foldOK {
			var probe struct {
				Name string `json:"name"`
			}
			require.NoError(t, json.Unmarshal([]byte(tt.doc), &probe))
			assert.Equal(t, probe.Name, foldName, tt.doc)
		}
	}

	// Key matching: a list is a map (exact keys), a single plugin a
	// struct (case-insensitive keys), each as encoding/json decodes it.
	doc := []byte(`{"NAME":"upper","Name":"mixed"}`)
	_, ok := scanName(&d, doc, false)
	assert.False(t, ok, "no exact \"name\" key in a list: the full decode decides")
	name, ok := scanName(&d, doc, true)
	assert.True(t, ok)
	var probe struct {
		Name string `json:"name"`
	}
	require.NoError(t, json.Unmarshal(doc, &probe))
	assert.Equal(t, probe.Name, name)
}

// TestDecodeAttachmentEntryMatchesEncodingJSON feeds the listing decoder
// documents of every shape it shortcuts or hands on, and checks that its
// outcome is encoding/json's for the same struct.
func TestDecodeAttachmentEntryMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	docs := []string{
		`{"kind":"cniCacheV1","containerId":"c","config":"eyJhIjoxfQ==","ifName":"eth0","networkName":"n","netns":"/run/netns/c",` +
			`"cniArgs":[["K","V"],["A","B"]],"capabilityArgs":{"portMappings":[{"hostPort":80}],"n":1.5},"result":{"cniVersion":"1.0.0","ips":[]}}`,
		`{"kind":"cniCacheV1","containerId":"c","config":"","ifName":"eth0","networkName":"n"}`,
		`{"KIND":"cniCacheV1","ContainerID":"c","IFNAME":"eth0","networkname":"n","Config":"eyJ9"}`,
		`{"kind":"cniCacheV1","containerId":"first","containerId":"last","ifName":"eth0","networkName":"n"}`,
		`{"kind":"cniCacheV1","cniArgs":[["K","V"]],"cniArgs":[],"ifName":"e","networkName":"n"}`,
		`{"kind":"cniCacheV1","containerId":"\u0063\ud83d\ude00","ifName":"eth0","networkName":"n"}`,
		`{"kind":"cniCacheV1","config":"eyJh\nIjoxfQ==","ifName":"eth0","networkName":"n"}`,
		`{"kind":"cniCacheV1","config":"not base64!","ifName":"eth0","networkName":"n"}`,
		`{"kind":"cniCacheV1","config":null,"containerId":null,"ifName":"eth0","networkName":"n"}`,
		`{"kind":"cniCacheV1","cniArgs":null,"capabilityArgs":null,"ifName":"eth0","networkName":"n"}`,
		`{"kind":"cniCacheV1","cniArgs":[["K"]],"ifName":"eth0","networkName":"n"}`,
		`{"kind":"cniCacheV1","cniArgs":[["K","V","extra"]],"ifName":"eth0","networkName":"n"}`,
		`{"kind":"cniCacheV1","cniArgs":[["K",null]],"ifName":"eth0","networkName":"n"}`,
		`{"kind":"cniCacheV1","cniArgs":[["K",1]],"ifName":"eth0","networkName":"n"}`,
		`{"kind":"cniCacheV1","capabilityArgs":{"a":1},"capabilityArgs":{"b":2},"ifName":"eth0","networkName":"n"}`,
		`{"kind":"cniCacheV1","capabilityArgs":[1],"ifName":"eth0","networkName":"n"}`,
		`{"kind":7,"ifName":"eth0","networkName":"n"}`,
		`{"kind":"cniCacheV1","ifName":"eth0","networkName":"n"} trailing`,
		`{"kind":"cniCacheV1","ifName":"eth0","networkName":"n",}`,
		`{"kind":"cniCacheV1","result":{"unterminated":`,
		`{"kind":"cniCacheV1","ifName":"eth0","networkName":"n","result":[1]}`,
		`{"kind":"cniCacheV1","ifName":"eth0","networkName":"n","result":"x"}`,
		`{"kind":"cniCacheV1","ifName":"eth0","networkName":"n","result":null}`,
		`{"kind":"cniCacheV1","ifName":"eth0","networkName":"n","Result":7}`,
		`{"kind":"cniCacheV1","ifName":"eth0","networkName":"n","result":{"a":[1,{"b":null}]},"result":{}}`,
		`{"kind":"cniCacheV1","ifName":"e","networkName":"n","capabilityArgs":{"a":[1,-2.5e3,"s\u00e9",true,false,null,{"x":{}},[]],"a":{"dup":1},"b":1e400}}`,
		`{"kind":"cniCacheV1","ifName":"e","networkName":"n","capabilityArgs":{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}],"bandwidth":{"ingressRate":2048}}}`,
		`{"kind":"cniCacheV1","ifName":"e","networkName":"n","capabilityArgs":{"big":12345678901234567890123,"neg":-0,"frac":0.1}}`,
		`{"kind":"cniCacheV1","ifName":"e","networkName":"n","capabilityArgs":{"k":"\ud800","\u0041":1,"A":2}}`,
		`{"kind":"cniCacheV1","ifName":"e","networkName":"n","capabilityArgs":"str"}`,
		`[]`, `null`, ``, `{}`,
	}
	var d jsonx.Decoder
	for _, doc := range docs {
		got, gotErr := decodeAttachmentEntry(&d, []byte(doc))
		var want attachmentEntry
		wantErr := json.Unmarshal([]byte(doc), &want)
		require.Equal(t, wantErr == nil, gotErr == nil, "error for %s: got %v, encoding/json %v", doc, gotErr, wantErr)
		if wantErr == nil {
			assert.Equal(t, want, got, doc)
		}
	}
}

// TestConfLoaderCachesByFileVersion checks that a ConfLoader answers like
// the package functions, reads a file again exactly when its size,
// modification time or identity changed, and hands out values the caller
// may modify.
func TestConfLoaderCachesByFileVersion(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	listDoc := func(name, typ string) string {
		return `{"cniVersion":"1.0.0","name":"` + name + `","plugins":[{"type":"` + typ + `"}]}`
	}
	write := func(file, doc string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, file), []byte(doc), 0o600))
	}
	write("10-a.conflist", listDoc("a", "bridge"))
	write("20-b.conflist", listDoc("b", "ptp11"))
	write("30-c.conf", `{"cniVersion":"1.0.0","name":"c","type":"host-device"}`)
	write("40-broken.conflist", `{"name":"broken","plugins":`)

	var l ConfLoader
	for _, name := range []string{"a", "b", "c", "missing"} {
		for range 2 {
			want, wantErr := LoadConfList(dir, name)
			got, gotErr := l.LoadConfList(dir, name)
			assert.Equal(t, wantErr, gotErr, name)
			assert.Equal(t, want, got, name)
			wantOne, wantErr := LoadConf(dir, name)
			gotOne, gotErr := l.LoadConf(dir, name)
			assert.Equal(t, wantErr, gotErr, name)
			assert.Equal(t, wantOne, gotOne, name)
		}
	}

	// Results are fresh: changing one does not change the next.
	got, err := l.LoadConfList(dir, "b")
	require.NoError(t, err)
	got.Bytes[0] = 'X'
	got.Plugins[0].Bytes[0] = 'X'
	again, err := l.LoadConfList(dir, "b")
	require.NoError(t, err)
	assert.Equal(t, byte('{'), again.Bytes[0])
	assert.Equal(t, byte('{'), again.Plugins[0].Bytes[0])

	// An unchanged file is not read again: what is remembered of it stays
	// the same bytes.
	before := rememberedData(&l, dir, "20-b.conflist")
	require.NotNil(t, before)
	_, err = l.LoadConfList(dir, "b")
	require.NoError(t, err)
	assert.Same(t, unsafe.SliceData(before), unsafe.SliceData(rememberedData(&l, dir, "20-b.conflist")), "not read again")

	// Same size and modification time, changed in place: the change time
	// gives it away where the version holds one (Linux); elsewhere the
	// remembered version is used.
	path := filepath.Join(dir, "20-b.conflist")
	info, err := os.Stat(path)
	require.NoError(t, err)
	write("20-b.conflist", listDoc("b", "ptp22"))
	require.NoError(t, os.Chtimes(path, info.ModTime(), info.ModTime()))
	got, err = l.LoadConfList(dir, "b")
	require.NoError(t, err)
	want := "ptp11"
	if runtime.GOOS == "linux" {
		want = "ptp22"
	}
	assert.Equal(t, want, got.Plugins[0].Network.Type, "unchanged size, modification time and inode")

	// A new modification time, a new size or a new file is noticed.
	require.NoError(t, os.Chtimes(path, info.ModTime().Add(time.Second), info.ModTime().Add(time.Second)))
	got, err = l.LoadConfList(dir, "b")
	require.NoError(t, err)
	assert.Equal(t, "ptp22", got.Plugins[0].Network.Type, "new time")
	write("20-b.conflist", listDoc("b", "ptp333"))
	require.NoError(t, os.Chtimes(path, info.ModTime().Add(time.Second), info.ModTime().Add(time.Second)))
	got, err = l.LoadConfList(dir, "b")
	require.NoError(t, err)
	assert.Equal(t, "ptp333", got.Plugins[0].Network.Type, "new size")
	tmp := filepath.Join(dir, "tmp")
	require.NoError(t, os.WriteFile(tmp, []byte(listDoc("b", "ptp444")), 0o600))
	require.NoError(t, os.Chtimes(tmp, info.ModTime().Add(time.Second), info.ModTime().Add(time.Second)))
	require.NoError(t, os.Rename(tmp, path))
	got, err = l.LoadConfList(dir, "b")
	require.NoError(t, err)
	assert.Equal(t, "ptp444", got.Plugins[0].Network.Type, "replaced by another file (new inode)")

	// A file renamed to another network, and a removed file.
	write("10-a.conflist", listDoc("z", "bridge"))
	require.NoError(t, os.Remove(path))
	for _, name := range []string{"a", "b", "z"} {
		want, wantErr := LoadConfList(dir, name)
		got, gotErr := l.LoadConfList(dir, name)
		assert.Equal(t, wantErr, gotErr, name)
		assert.Equal(t, want, got, name)
	}
	_, err = l.LoadConfList(dir, "z")
	require.NoError(t, err, "z is found before the broken file")
}

// TestEncodeCacheEntryIsJSONMarshal checks that the one-pass cache encoder
// writes exactly json.Marshal's bytes, for entries of every shape.
func TestEncodeCacheEntryIsJSONMarshal(t *testing.T) {
	t.Parallel()
	entries := []cacheEntry{
		{Kind: CNICacheV1, ContainerID: "c", Config: []byte(`{"a":1}`), IfName: "eth0", NetworkName: "n"},
		{Kind: CNICacheV1, ContainerID: "c<&>\u2028\x01", Config: []byte{}, IfName: "eth0", NetworkName: "n", NetNS: "/run/netns/c",
			CniArgs: [][2]string{{"K", "V"}, {"\xff", "é\"\\"}}, CapabilityArgs: map[string]interface{}{"z": 1, "a": []interface{}{"<x>", 2.5, nil, true}},
			Result: json.RawMessage(`{"cniVersion":"1.0.0","ips":[{"address":"198.18.0.2/24"}],"dns":{"search":["\u003ca\u003e"]}}`)},
		{Kind: CNICacheV1, ContainerID: "c", IfName: "eth0", NetworkName: "n", CniArgs: [][2]string{}, CapabilityArgs: map[string]interface{}{}},
		{Kind: "", Config: bytes.Repeat([]byte{0, 1, 2, 250}, 100)},
	}
	for i, e := range entries {
		want, err := json.Marshal(&e)
		require.NoError(t, err)
		got, err := encodeCacheEntry(&e)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), "entry %d", i)
	}
	_, err := encodeCacheEntry(&cacheEntry{CapabilityArgs: map[string]interface{}{"f": func() {}}})
	assert.Error(t, err, "what encoding/json cannot encode is an error")
}
