package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/sandbox"
)

// sandboxDemo is the sandbox manager part of the demo: one sandbox on
// the networks of a configuration directory, attached in parallel and,
// for comparison, serially.
type sandboxDemo struct {
	// confs are the files of the configuration directory, by name.
	confs map[string]string
	// pluginDir holds the plugins; work is the demo's work directory.
	pluginDir, work string
	// netns is the sandbox's namespace path.
	netns string
	// after runs between attach and detach (traffic checks), may be nil.
	after func(ctx context.Context, res *sandbox.Result) error
}

// run attaches and detaches the sandbox with a parallel and with a
// serial Manager and prints what happened and how long each network took.
func (d sandboxDemo) run(ctx context.Context, n narrator, clean *cleanups) error {
	confDir := filepath.Join(d.work, "net.d")
	if err := os.MkdirAll(confDir, 0o755); err != nil {
		return err
	}
	files := make([]string, 0, len(d.confs))
	for f := range d.confs {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(confDir, f), []byte(d.confs[f]), 0o644); err != nil {
			return err
		}
	}
	n.info("configuration directory %s: %v", confDir, files)

	var mu sync.Mutex
	took := map[string]time.Duration{}
	cni := libcni.NewCNIConfigWithOptions([]string{d.pluginDir}, nil,
		libcni.WithCacheDir(filepath.Join(d.work, "sandbox-cache")),
		libcni.WithEventHook(func(_ context.Context, ev libcni.Event) {
			if ev.Kind == libcni.EventPluginRun && ev.Command == "ADD" {
				mu.Lock()
				took[ev.Network] += ev.Duration
				mu.Unlock()
			}
		}))
	for _, mode := range []struct {
		label string
		par   int
	}{{"parallel", sandbox.DefaultParallelism}, {"serial (WithParallelism(1), for comparison)", 1}} {
		m, err := sandbox.New(sandbox.WithConfDir(confDir), sandbox.WithCNI(cni),
			sandbox.WithMaxNetworks(len(files)), sandbox.WithParallelism(mode.par))
		if err != nil {
			return err
		}
		if err := m.Ready(ctx); err != nil {
			return err
		}
		sb := sandbox.Sandbox{ID: "cnirt-demo-sandbox", NetNS: d.netns}
		clean.add("Detach sandbox ("+mode.label+")", func(ctx context.Context) error { return m.Detach(ctx, sb) })
		mu.Lock()
		clear(took)
		mu.Unlock()
		t0 := time.Now()
		res, err := m.Attach(ctx, sb)
		total := time.Since(t0)
		if err != nil {
			return fmt.Errorf("attaching the sandbox: %w", err)
		}
		n.info("Attach, %s: %d networks in %s", mode.label, len(res.Attachments), total.Round(time.Millisecond))
		var sum time.Duration
		for _, a := range res.Attachments {
			mu.Lock()
			d := took[a.Network]
			mu.Unlock()
			sum += d
			addrs := ""
			if iface := res.Interfaces[a.IfName]; iface != nil {
				for _, ip := range iface.IPs {
					addrs += " " + ip.Address.String()
				}
			}
			n.info("  %-5s network %-22s%s  (plugins ran %s)", a.IfName, a.Network, addrs, d.Round(time.Millisecond))
		}
		n.info("  sum of the networks' plugin time %s, wall time %s; primary address %s",
			sum.Round(time.Millisecond), total.Round(time.Millisecond), res.PrimaryIP())
		if d.after != nil {
			if err := d.after(ctx, res); err != nil {
				return err
			}
		}
		if err := m.Detach(ctx, sb); err != nil {
			return fmt.Errorf("detaching the sandbox: %w", err)
		}
		left, err := cni.GetCachedAttachments(sb.ID)
		if err != nil {
			return err
		}
		n.info("  Detach (reverse order, cached configurations): ok, %d cached attachments left", len(left))
		_ = m.Close()
	}
	return nil
}
