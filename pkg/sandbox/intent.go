package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/utils"
)

// IntentDirName is the directory, inside the libcni cache directory, where
// Attach records what it is about to set up before it runs any plugin
// (one file per sandbox, <id>.json). The record lets Detach and GC undo an
// Attach that was interrupted (the runtime killed while plugins ran) and
// left no libcni cache entry for what its plugins set up.
const IntentDirName = "cnirt-sandbox-intents"

// intent is what an Attach is about to set up.
type intent struct {
	Sandbox  string          `json:"sandbox"`
	NetNS    string          `json:"netns"`
	Networks []intentNetwork `json:"networks"`
}

// intentNetwork is one network of an intent, with all a DEL needs.
type intentNetwork struct {
	Network        string                 `json:"network"`
	IfName         string                 `json:"ifName"`
	Config         json.RawMessage        `json:"config"`
	Args           [][2]string            `json:"args,omitempty"`
	CapabilityArgs map[string]interface{} `json:"capabilityArgs,omitempty"`
}

func (m *Manager) intentDir() string { return filepath.Join(m.cni.CacheDir(), IntentDirName) }

func (m *Manager) intentPath(id string) string { return filepath.Join(m.intentDir(), id+".json") }

// writeIntent records the intent of an Attach of sb: written to a
// temporary file and renamed into place, so that it is whole or absent
// after the process is killed. Like libcni's cache entries (without
// libcni.WithDurableCache), it is not synced to disk: a kill does not
// lose what is in the page cache, and a sync would cost every Attach a
// disk round trip before its plugins start.
func (m *Manager) writeIntent(sb Sandbox, set *NetworkSet, rts []*libcni.RuntimeConf) error {
	in := intent{Sandbox: sb.ID, NetNS: sb.NetNS}
	for i, n := range set.Networks {
		in.Networks = append(in.Networks, intentNetwork{Network: n.Name, IfName: rts[i].IfName,
			Config: n.Config.Bytes, Args: rts[i].Args, CapabilityArgs: rts[i].CapabilityArgs})
	}
	data, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encoding the attach record: %w", err)
	}
	dir := m.intentDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+sb.ID+".tmp-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, m.intentPath(sb.ID))
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}

// readIntent returns the sandbox's intent, nil when there is none.
func (m *Manager) readIntent(id string) (*intent, error) {
	data, err := os.ReadFile(m.intentPath(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var in intent
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, fmt.Errorf("attach record %s: %w", m.intentPath(id), err)
	}
	return &in, nil
}

// hasIntent reports whether a file is where the sandbox's attach record
// is kept, readable or not.
func (m *Manager) hasIntent(id string) bool {
	if utils.ValidateContainerID(id) != nil {
		return false
	}
	_, err := os.Lstat(m.intentPath(id))
	return err == nil
}

// removeIntent removes the sandbox's intent.
func (m *Manager) removeIntent(id string) error {
	err := os.Remove(m.intentPath(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// intentSandboxes lists the sandboxes that have an intent.
func (m *Manager) intentSandboxes() ([]string, error) {
	entries, err := os.ReadDir(m.intentDir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if ok && !strings.HasPrefix(id, ".") && utils.ValidateContainerID(id) == nil {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// releaseIntent undoes what the sandbox's interrupted Attach may have set
// up without leaving a cache entry: holding the sandbox's locks, it DELs,
// in reverse order and each with the recorded configuration, every
// network of the intent that has no cache entry (those that have one are
// Detach's and GC's), and removes the intent once all succeeded. op names
// the operation in errors; netns, when set, replaces the recorded path.
func (m *Manager) releaseIntent(ctx context.Context, id, op, netns string) error {
	if utils.ValidateContainerID(id) != nil {
		return nil
	}
	in, err := m.readIntent(id)
	if in == nil || err != nil {
		return err
	}
	names := make([]string, 0, len(in.Networks))
	for _, n := range in.Networks {
		names = append(names, n.Network)
	}
	ctx = libcni.ContextWithSandboxID(ctx, id)
	hctx, release, err := m.cni.HoldContainer(ctx, id, names...)
	if err != nil {
		return fmt.Errorf("sandbox %q: %w", id, err)
	}
	// Under the locks: an Attach in flight has finished (and removed its
	// intent, unless interrupted).
	in, err = m.readIntent(id)
	if in == nil || err != nil {
		release(false)
		return err
	}
	atts, err := m.cni.GetCachedAttachments(id)
	if err != nil {
		release(false)
		return fmt.Errorf("sandbox %q: listing cached attachments: %w", id, err)
	}
	cached := map[string]bool{}
	for _, a := range atts {
		cached[a.Network+"/"+a.IfName] = true
	}
	var failed *SandboxError
	for i := len(in.Networks) - 1; i >= 0; i-- {
		n := in.Networks[i]
		if cached[n.Network+"/"+n.IfName] {
			continue
		}
		list, err := configFromCache(n.Config)
		if err == nil {
			rt := &libcni.RuntimeConf{ContainerID: id, NetNS: in.NetNS,
				IfName: n.IfName, Args: n.Args, CapabilityArgs: n.CapabilityArgs}
			if netns != "" {
				rt.NetNS = netns
			}
			err = m.cni.DelNetworkList(hctx, list, rt)
		}
		if err != nil {
			if failed == nil {
				failed = &SandboxError{Sandbox: id, Op: op}
			}
			ne := newNetworkError(n.Network, n.IfName, OpDel, fmt.Errorf("interrupted attach: %w", err))
			ne.Kept = true
			failed.Failures = append(failed.Failures, ne)
		}
	}
	if failed == nil {
		if err := m.removeIntent(id); err != nil {
			release(false)
			return fmt.Errorf("sandbox %q: removing the attach record: %w", id, err)
		}
		release(len(atts) == 0)
		return nil
	}
	release(false)
	return failed
}
