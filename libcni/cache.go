package libcni

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cnirt/cni/pkg/jsonx"
	"github.com/cnirt/cni/types"
	"github.com/cnirt/cni/types/create"
)

// The cache keeps one file per attachment, in the reference library's
// format, so that a runtime can switch between the two libraries with
// attachments in flight:
//
//	<cacheDir>/results/<network>-<containerID>-<ifName>
//
// Files are written to a temporary file in the same directory, then renamed
// into place, so a reader sees the old file, the new file or no file, never
// a partial one. Temporary files are named "<tempPrefix><random>" (short, so that a final name near the file-name limit still fits);
// readers skip them and GetCachedAttachments removes the ones a crashed
// writer left behind.

const (
	cacheResultsDir = "results"
	// tempPrefix starts the name of a cache file being written.
	tempPrefix = ".tmp-"
	// staleTempAge is how old a temporary file must be before it is
	// considered left over by a crashed writer.
	staleTempAge  = 10 * time.Minute
	cacheDirPerm  = 0o700
	cacheFilePerm = 0o600
)

// cacheEntry is one cache file, field for field the reference library's
// cniCacheV1 format. Config holds the bytes of the network configuration
// the attachment was added with (base64 in the file).
type cacheEntry struct {
	Kind           string                 `json:"kind"`
	ContainerID    string                 `json:"containerId"`
	Config         []byte                 `json:"config"`
	IfName         string                 `json:"ifName"`
	NetworkName    string                 `json:"networkName"`
	NetNS          string                 `json:"netns,omitempty"`
	CniArgs        [][2]string            `json:"cniArgs,omitempty"`
	CapabilityArgs map[string]interface{} `json:"capabilityArgs,omitempty"`
	Result         json.RawMessage        `json:"result,omitempty"`
}

// cacheDirFor returns the cache directory used for rt: the CNIConfig's,
// else the RuntimeConf's, else the package default.
func (c *CNIConfig) cacheDirFor(rt *RuntimeConf) string {
	if c.cacheDir != "" {
		return c.cacheDir
	}
	if rt != nil && rt.CacheDir != "" {
		return rt.CacheDir
	}
	return cacheDirSetting()
}

// cacheFile returns the cache file path of an attachment. The three names
// must have been validated (they then hold no path separator).
func cacheFile(dir, network string, rt *RuntimeConf) string {
	return filepath.Join(dir, cacheResultsDir, network+"-"+rt.ContainerID+"-"+rt.IfName)
}

// pendingEntry is an attachment's cache entry being written: its
// temporary file is created before the ADD's plugins run, so that an ADD
// whose result could not be recorded (a read-only cache, a file where the
// directory should be, no inode left) fails before any plugin runs; the
// write and the rename into place follow the plugins. Creating the file
// first costs no system call: it is the create the write would do.
type pendingEntry struct {
	tmp  tempFile
	name string // the entry's final path
}

// prepareCache creates the temporary file of the attachment's cache entry
// (and the results directory when it is missing). A failure is a
// *CacheError.
func (c *CNIConfig) prepareCache(network string, rt *RuntimeConf) (pendingEntry, error) {
	name := cacheFile(c.cacheDirFor(rt), network, rt)
	tmp, err := createTempIn(filepath.Dir(name))
	if err != nil {
		return pendingEntry{}, &CacheError{Op: "write", File: name, Err: err}
	}
	return pendingEntry{tmp: tmp, name: name}, nil
}

// createTempIn creates a new temporary file in dir, creating dir when the
// first attempt finds it missing, and trying other names while the chosen
// one exists.
func createTempIn(dir string) (tempFile, error) {
	t, err := createTempTry(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, cacheDirPerm); err != nil {
			return t, err
		}
		t, err = createTempTry(dir)
	}
	return t, err
}

func createTempTry(dir string) (tempFile, error) {
	for try := 0; ; try++ {
		t, err := createTemp(filepath.Join(dir, tempPrefix+strconv.FormatUint(rand.Uint64()>>1, 36)))
		if err == nil || !errors.Is(err, fs.ErrExist) || try == 100 {
			return t, err
		}
	}
}

// abort removes the temporary file of an ADD that failed.
func (p pendingEntry) abort() { p.tmp.discard() }

// commit writes the attachment's configuration and result into the
// temporary file and renames it into place. resultJSON is the JSON
// encoding of the result, or nil for none. A failure is a *CacheError with
// PluginsRan set; the temporary file is gone then.
func (p pendingEntry) commit(c *CNIConfig, network string, config, resultJSON []byte, rt *RuntimeConf) error {
	data, err := c.cacheEntryBytes(network, config, resultJSON, rt)
	if err != nil {
		p.abort()
	} else {
		err = commitTemp(p.tmp, p.name, data, c.durable)
	}
	if err != nil {
		return &CacheError{Op: "write", File: p.name, PluginsRan: true, Err: err}
	}
	return nil
}

// commitTemp writes data into tmp and renames it to name, syncing the file
// and the directory when durable. tmp is gone when it fails.
//
// When the rename finds the temporary file gone, the data is written once
// more through a new temporary file (creating the directory if it went
// too). An ADD creates its temporary file before its plugins run; one
// whose plugins take longer than staleTempAge has it removed as a crashed
// writer's by any process listing the cache meanwhile, and the entry must
// still be recorded: the container's lock, held by the ADD, keeps every
// other writer of this entry out.
func commitTemp(tmp tempFile, name string, data []byte, durable bool) error {
	if err := tmp.finish(data, durable); err != nil {
		return err
	}
	err := renameFile(tmp.name, name)
	if errors.Is(err, fs.ErrNotExist) {
		var again tempFile
		if again, err = createTempIn(filepath.Dir(name)); err != nil {
			return err
		}
		tmp = again
		if err = tmp.finish(data, durable); err != nil {
			return err
		}
		err = renameFile(tmp.name, name)
	}
	if err != nil {
		_ = removeFile(tmp.name)
		return err
	}
	if durable {
		if err := syncDir(filepath.Dir(name)); err != nil {
			return fmt.Errorf("cache entry %s is in place but syncing its directory failed: %w", name, err)
		}
	}
	return nil
}

// writeCache records the attachment's configuration and result. resultJSON
// is the JSON encoding of the result, or nil for none.
func (c *CNIConfig) writeCache(network string, config, resultJSON []byte, rt *RuntimeConf) error {
	data, err := c.cacheEntryBytes(network, config, resultJSON, rt)
	if err != nil {
		return err
	}
	return writeFileAtomic(cacheFile(c.cacheDirFor(rt), network, rt), data, c.durable)
}

// cacheEntryBytes encodes the attachment's cache entry.
func (c *CNIConfig) cacheEntryBytes(network string, config, resultJSON []byte, rt *RuntimeConf) ([]byte, error) {
	entry := cacheEntry{
		Kind:           CNICacheV1,
		ContainerID:    rt.ContainerID,
		Config:         config,
		IfName:         rt.IfName,
		NetworkName:    network,
		NetNS:          rt.NetNS,
		CniArgs:        rt.Args,
		CapabilityArgs: rt.CapabilityArgs,
	}
	if len(resultJSON) > 0 && string(resultJSON) != "null" {
		entry.Result = resultJSON
	}
	data, err := encodeCacheEntry(&entry)
	if err != nil {
		return nil, fmt.Errorf("encoding cache entry: %w", err)
	}
	return data, nil
}

// encodeCacheEntry encodes e byte for byte as json.Marshal does, in one
// pass: the strings with pkg/jsonx (escaped as encoding/json escapes
// them), the configuration in base64, the result appended as it is (it is
// json.Marshal output, already compact and escaped) and only the
// capability arguments, free-form, through encoding/json.
func encodeCacheEntry(e *cacheEntry) ([]byte, error) {
	var caps []byte
	if len(e.CapabilityArgs) > 0 {
		var err error
		if caps, err = json.Marshal(e.CapabilityArgs); err != nil {
			return nil, err
		}
	}
	b := make([]byte, 0, 256+base64.StdEncoding.EncodedLen(len(e.Config))+len(e.Result)+len(caps))
	b = append(b, `{"kind":`...)
	b = jsonx.AppendString(b, e.Kind)
	b = append(b, `,"containerId":`...)
	b = jsonx.AppendString(b, e.ContainerID)
	b = append(b, `,"config":`...)
	if e.Config == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, e.Config)
		b = append(b, '"')
	}
	b = append(b, `,"ifName":`...)
	b = jsonx.AppendString(b, e.IfName)
	b = append(b, `,"networkName":`...)
	b = jsonx.AppendString(b, e.NetworkName)
	if e.NetNS != "" {
		b = append(b, `,"netns":`...)
		b = jsonx.AppendString(b, e.NetNS)
	}
	if len(e.CniArgs) > 0 {
		b = append(b, `,"cniArgs":[`...)
		for i, pair := range e.CniArgs {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			b = jsonx.AppendString(b, pair[0])
			b = append(b, ',')
			b = jsonx.AppendString(b, pair[1])
			b = append(b, ']')
		}
		b = append(b, ']')
	}
	if caps != nil {
		b = append(b, `,"capabilityArgs":`...)
		b = append(b, caps...)
	}
	if len(e.Result) > 0 {
		b = append(b, `,"result":`...)
		b = append(b, e.Result...)
	}
	return append(b, '}'), nil
}

// writeFileAtomic replaces name with data: it writes a temporary file in
// the same directory and renames it over name. With durable, the file is
// synced before the rename and the directory after it. The directory is
// created only when the first attempt finds it missing, so the usual write
// is four system calls: create, write, close, rename.
func writeFileAtomic(name string, data []byte, durable bool) error {
	tmp, err := createTempIn(filepath.Dir(name))
	if err != nil {
		return err
	}
	return commitTemp(tmp, name, data, durable)
}

// removeCache deletes the attachment's cache file; a missing file is not an
// error.
func (c *CNIConfig) removeCache(network string, rt *RuntimeConf) error {
	name := cacheFile(c.cacheDirFor(rt), network, rt)
	if err := removeFile(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if c.durable {
		return syncDir(filepath.Dir(name))
	}
	return nil
}

// readCache reads and decodes the attachment's cache file. It returns
// (nil, nil, nil) when there is no file, and the raw bytes together with a
// decoding error when the file is not a cniCacheV1 entry.
func (c *CNIConfig) readCache(network string, rt *RuntimeConf) (*cacheEntry, []byte, error) {
	name := cacheFile(c.cacheDirFor(rt), network, rt)
	var (
		entry   *cacheEntry
		decoded bool
	)
	data, err := readFileUntil(name, MaxCacheEntrySize, func(b []byte) bool {
		// Whole when it decodes: a prefix of one JSON value cut short is
		// not a JSON value. A file that does not decode is read to its
		// end and decoded again, so its error is the whole file's.
		e, derr := decodeCacheEntry(b)
		entry, decoded = e, derr == nil
		return decoded
	})
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, nil
		}
		if errors.Is(err, errFileTooLarge) {
			return nil, nil, fmt.Errorf("cache file %s is larger than the %d MiB limit for cache entries: %w", name, MaxCacheEntrySize>>20, err)
		}
		return nil, nil, err
	}
	if decoded {
		return entry, data, nil
	}
	entry, err = decodeCacheEntry(data)
	return entry, data, err
}

// MaxCacheEntrySize is the largest cache file cnirt reads, 64 MiB: room
// for a configuration of MaxConfigFileSize and a result of the default
// plugin output limit (invoke.DefaultMaxOutputBytes), both escaped. Larger
// files are skipped when cached attachments are listed, and reading the
// cached result or configuration of such an attachment fails with an error
// naming the file; its DEL runs without a previous result and removes it.
const MaxCacheEntrySize = 64 << 20

// errFileTooLarge is returned by readFileLimit for a file over its limit.
var errFileTooLarge = errors.New("file too large")

// errWrongKind is wrapped when a cache file is JSON but not a cniCacheV1
// entry.
var errWrongKind = errors.New("cache entry has wrong kind")

func decodeCacheEntry(data []byte) (*cacheEntry, error) {
	var entry cacheEntry
	if err := json.Unmarshal(data, &entry); err != nil {
		return nil, err
	}
	// The reference decodes "result" into a map, so an entry whose result
	// is JSON but not an object (or null) does not decode at all.
	if k := jsonKind(entry.Result); k != 0 && k != '{' && k != 'n' {
		return nil, fmt.Errorf("cache entry: result is %s, not an object", jsonKindName(entry.Result))
	}
	if entry.Kind != CNICacheV1 {
		return &entry, fmt.Errorf("%w: %q", errWrongKind, entry.Kind)
	}
	return &entry, nil
}

// cachedResult returns the attachment's cached result converted to
// cniVersion, or (nil, nil) when nothing is cached. Files written before
// the cniCacheV1 format (a bare result) are read too.
func (c *CNIConfig) cachedResult(network, cniVersion string, rt *RuntimeConf) (types.Result, error) {
	entry, data, err := c.readCache(network, rt)
	if entry == nil && err == nil {
		return nil, nil
	}
	var raw []byte
	switch {
	case err == nil:
		raw = entry.Result
		if len(raw) == 0 {
			// No result member: decoded as JSON null, as the reference
			// does (it re-encodes its nil map).
			raw = []byte("null")
		}
	case data == nil:
		return nil, err
	default:
		// Not a cniCacheV1 entry: like the reference library, read the
		// file as a bare result, the format used before cniCacheV1.
		raw = data
	}
	result, err := create.CreateFromBytes(raw)
	if err != nil {
		// Unwrapped, as the reference returns it: callers name the network.
		return nil, err
	}
	if cniVersion == "" || result.Version() == cniVersion {
		return result, nil
	}
	converted, err := result.GetAsVersion(cniVersion)
	if err != nil {
		return nil, fmt.Errorf("failed to convert cached result to config version %q: %w", cniVersion, err)
	}
	return converted, nil
}

// cachedConfig returns the configuration bytes the attachment was added
// with and a copy of rt with the cached CNI_ARGS and capability arguments.
func (c *CNIConfig) cachedConfig(network string, rt *RuntimeConf) ([]byte, *RuntimeConf, error) {
	entry, data, err := c.readCache(network, rt)
	if err != nil {
		if data == nil {
			return nil, nil, fmt.Errorf("reading cached network %q config: %w", network, err)
		}
		if errors.Is(err, errWrongKind) {
			return nil, nil, fmt.Errorf("read cached network %q config has wrong kind: %v", network, entry.Kind)
		}
		return nil, nil, fmt.Errorf("failed to unmarshal cached network %q config: %w", network, err)
	}
	if entry == nil {
		return nil, nil, nil
	}
	out := *rt
	if entry.CniArgs != nil {
		out.Args = entry.CniArgs
	}
	out.CapabilityArgs = entry.CapabilityArgs
	return entry.Config, &out, nil
}

// attachmentEntry is the part of a cache file a NetworkAttachment holds:
// cacheEntry without the result, which decoding then only skips.
type attachmentEntry struct {
	Kind           string                 `json:"kind"`
	ContainerID    string                 `json:"containerId"`
	Config         []byte                 `json:"config"`
	IfName         string                 `json:"ifName"`
	NetworkName    string                 `json:"networkName"`
	NetNS          string                 `json:"netns,omitempty"`
	CniArgs        [][2]string            `json:"cniArgs,omitempty"`
	CapabilityArgs map[string]interface{} `json:"capabilityArgs,omitempty"`
	Result         objectOrNull           `json:"result,omitempty"`
}

// objectOrNull accepts a JSON object or null without keeping it, and
// refuses anything else: the reference decodes a cache entry's result into
// a map, so an entry whose result is another kind of value does not
// decode, and is not listed.
type objectOrNull struct{}

// UnmarshalJSON implements json.Unmarshaler.
func (objectOrNull) UnmarshalJSON(data []byte) error {
	if k := jsonKind(data); k != '{' && k != 'n' {
		return fmt.Errorf("cache entry: result is %s, not an object", jsonKindName(data))
	}
	return nil
}

// parallelListMin is the number of cache files from which listing them is
// shared between the processors.
const parallelListMin = 256

// cachedAttachments lists the attachments cached in dir, optionally only
// those of one container and/or one network, sorted by file name. Files
// that cannot be read or decoded, or that lack the attachment's names, are
// skipped; temporary files of a writer that crashed long ago are removed.
// The names filter before any file is read (a file's name is
// <network>-<containerID>-<ifName>, all three possibly containing '-', so
// the name can only rule a file out); the decoded names decide.
func cachedAttachments(dir, containerID, network string) ([]*NetworkAttachment, error) {
	resultsDir := filepath.Join(dir, cacheResultsDir)
	entries, err := os.ReadDir(resultsDir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	marker := "-" + containerID + "-"
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() {
			continue
		}
		if strings.HasPrefix(name, tempPrefix) {
			removeStaleTemp(filepath.Join(resultsDir, name), e)
			continue
		}
		if network != "" && (!strings.HasPrefix(name, network) || !strings.HasPrefix(name[len(network):], "-")) {
			continue
		}
		if containerID != "" {
			pos := strings.Index(name, marker)
			if pos <= 0 || pos+len(marker) >= len(name) {
				continue
			}
		}
		names = append(names, name)
	}
	sort.Strings(names)

	found := make([]*NetworkAttachment, len(names))
	workers := min(runtime.GOMAXPROCS(0), len(names)/parallelListMin)
	if workers <= 1 {
		readAttachments(resultsDir, names, found, containerID, network, nil)
	} else {
		var (
			next atomic.Int64
			wg   sync.WaitGroup
		)
		for range workers {
			wg.Go(func() {
				readAttachments(resultsDir, names, found, containerID, network, &next)
			})
		}
		wg.Wait()
	}
	attachments := found[:0]
	for _, a := range found {
		if a != nil {
			attachments = append(attachments, a)
		}
	}
	return attachments, nil
}

// readAttachments decodes the cache files names[i] into found[i], leaving
// nil for files that are skipped. With next, files are taken in chunks
// from that shared counter (several goroutines at once); without it, all
// of them. One read buffer is reused for all files.
func readAttachments(resultsDir string, names []string, found []*NetworkAttachment, containerID, network string, next *atomic.Int64) {
	const chunk = 64
	buf := make([]byte, 0, 4096)
	var d jsonx.Decoder
	// A descriptor of the directory pays off from a few files on; one or
	// two files (the listing of one container) are opened by their whole
	// path, which saves the descriptor's open and close.
	dir := pathDirHandle(resultsDir)
	if len(names) > 2 {
		dir = openDirHandle(resultsDir)
	}
	defer dir.close()
	start, end := 0, len(names)
	for {
		if next != nil {
			start = int(next.Add(chunk)) - chunk
			if start >= len(names) {
				return
			}
			end = min(start+chunk, len(names))
		}
		for i := start; i < end; i++ {
			data, err := dir.readInto(names[i], buf, MaxCacheEntrySize)
			if err != nil {
				continue
			}
			buf = data
			found[i] = decodeAttachment(&d, data, containerID, network)
		}
		if next == nil {
			return
		}
	}
}

// decodeAttachment decodes one cache file, or returns nil when it is not
// a cniCacheV1 entry of the wanted container and network.
func decodeAttachment(d *jsonx.Decoder, data []byte, containerID, network string) *NetworkAttachment {
	e, err := decodeAttachmentEntry(d, data)
	if err != nil || e.Kind != CNICacheV1 {
		return nil
	}
	if (containerID != "" && e.ContainerID != containerID) || (network != "" && e.NetworkName != network) {
		return nil
	}
	if e.IfName == "" || e.NetworkName == "" {
		return nil
	}
	return &NetworkAttachment{
		ContainerID:    e.ContainerID,
		Network:        e.NetworkName,
		IfName:         e.IfName,
		Config:         e.Config,
		NetNS:          e.NetNS,
		CniArgs:        e.CniArgs,
		CapabilityArgs: e.CapabilityArgs,
	}
}

// removeStaleTemp removes a temporary cache file old enough that its writer
// must have died; errors are ignored (another reader may have removed it).
func removeStaleTemp(name string, e fs.DirEntry) {
	info, err := e.Info()
	if err != nil || time.Since(info.ModTime()) < staleTempAge {
		return
	}
	_ = os.Remove(name)
}
