package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// binaries are the programs the pod scenario runs.
type binaries struct {
	bin             string // runc, crictl, containerd-shim-runc-v2, ctr
	refContainerd   string // containerd on the reference
	cnirtContainerd string // containerd on cnirt through the replace
	pause           string // the pause program (static)
}

// exists reports whether every name is a file in dir.
func exists(dir string, names ...string) bool {
	for _, n := range names {
		if fi, err := os.Stat(filepath.Join(dir, n)); err != nil || !fi.Mode().IsRegular() {
			return false
		}
	}
	return true
}

// buildWrapper builds pkgs (main packages of the modules in requires,
// given as module@version) from a wrapper main module whose go.mod holds
// only the requirements and the replace lines, and puts the binaries in
// out. Nothing happens when out already holds every binary. The wrapper's
// go.mod is kept beside the binaries as wrapper.go.mod.
func buildWrapper(ctx context.Context, o *options, name string, requires, replaces, pkgs []string, env []string, out string) error {
	var names []string
	for _, p := range pkgs {
		names = append(names, filepath.Base(p))
	}
	if exists(out, names...) {
		fmt.Printf("  %s: cached in %s\n", name, out)
		return nil
	}
	start := time.Now()
	dir := filepath.Join(o.work, "wrapper-"+name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	gomod := "module cnirt.example/clients/" + name + "\n\ngo 1.26\n"
	for _, r := range replaces {
		gomod += "\nreplace " + r + "\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		return err
	}
	r := runner{dir: dir, env: append(append([]string{}, goEnv...), env...), verbose: o.verbose}
	var gets []string
	for _, p := range pkgs {
		for _, req := range requires {
			mod, ver, _ := strings.Cut(req, "@")
			if p == mod || strings.HasPrefix(p, mod+"/") {
				gets = append(gets, p+"@"+ver)
			}
		}
	}
	if _, err := r.run(ctx, append([]string{"go", "get"}, gets...)...); err != nil {
		return err
	}
	tmp := out + ".tmp"
	_ = os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	if _, err := r.run(ctx, append([]string{"go", "build", "-o", tmp + "/"}, pkgs...)...); err != nil {
		return err
	}
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "wrapper.go.mod"), data, 0o644); err != nil {
		return err
	}
	_ = os.RemoveAll(out)
	if err := os.Rename(tmp, out); err != nil {
		return err
	}
	fmt.Printf("  %s: built in %s (%s)\n", name, out, time.Since(start).Round(time.Second))
	return nil
}

// pruneStale removes the directories of cache named prefix+<other hash>,
// the builds of earlier cnirt sources, keeping keep.
func pruneStale(cache, prefix, keep string) {
	entries, _ := os.ReadDir(cache)
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), prefix) && e.Name() != keep {
			_ = os.RemoveAll(filepath.Join(cache, e.Name()))
		}
	}
}

// buildAll builds (or finds in the cache) everything the pod scenario
// needs.
func buildAll(ctx context.Context, o *options) (binaries, error) {
	var b binaries
	if err := os.MkdirAll(o.cache, 0o755); err != nil {
		return b, fmt.Errorf("cache directory: %w", err)
	}
	ctrd := ContainerdModule + "/cmd/"
	refDir := filepath.Join(o.cache, "containerd-"+ContainerdVersion+"-ref")
	if err := buildWrapper(ctx, o, "containerd-ref", []string{ContainerdModule + "@" + ContainerdVersion}, nil,
		[]string{ctrd + "containerd", ctrd + "containerd-shim-runc-v2", ctrd + "ctr"}, nil, refDir); err != nil {
		return b, err
	}
	if o.wants("cnirt") {
		repl, err := findShim(o.repo)
		if err != nil {
			return b, err
		}
		hash, err := sourceHash(o.repo)
		if err != nil {
			return b, err
		}
		cnirtDir := filepath.Join(o.cache, "containerd-"+ContainerdVersion+"-cnirt-"+hash)
		if err := buildWrapper(ctx, o, "containerd-cnirt", []string{ContainerdModule + "@" + ContainerdVersion}, repl.lines,
			[]string{ctrd + "containerd"}, nil, cnirtDir); err != nil {
			return b, err
		}
		b.cnirtContainerd = filepath.Join(cnirtDir, "containerd")
		pruneStale(o.cache, "containerd-"+ContainerdVersion+"-cnirt-", filepath.Base(cnirtDir))
		if err := checkEmbedsShim(ctx, b.cnirtContainerd, repl.shimDir); err != nil {
			return b, err
		}
	}
	runcDir := filepath.Join(o.cache, "runc-"+RuncVersion)
	// Without the seccomp build tag runc needs no libseccomp; it still needs cgo.
	if err := buildWrapper(ctx, o, "runc", []string{RuncModule + "@" + RuncVersion}, nil,
		[]string{RuncModule}, []string{"CGO_ENABLED=1"}, runcDir); err != nil {
		return b, err
	}
	crictlDir := filepath.Join(o.cache, "crictl-"+CriToolsVersion)
	if err := buildWrapper(ctx, o, "crictl", []string{CriToolsModule + "@" + CriToolsVersion}, nil,
		[]string{CriToolsModule + "/cmd/crictl"}, []string{"CGO_ENABLED=0"}, crictlDir); err != nil {
		return b, err
	}
	b.bin = filepath.Join(o.work, "bin")
	if err := os.MkdirAll(b.bin, 0o755); err != nil {
		return b, err
	}
	for _, l := range []struct{ dir, name string }{
		{runcDir, "runc"}, {crictlDir, "crictl"}, {refDir, "containerd-shim-runc-v2"}, {refDir, "ctr"},
	} {
		if err := os.Symlink(filepath.Join(l.dir, l.name), filepath.Join(b.bin, l.name)); err != nil {
			return b, err
		}
	}
	b.refContainerd = filepath.Join(refDir, "containerd")
	b.pause = filepath.Join(o.work, "pause")
	r := runner{dir: o.repo, env: append(append([]string{}, goEnv...), "CGO_ENABLED=0"), verbose: o.verbose}
	if _, err := r.run(ctx, "go", "build", "-o", b.pause, "./examples/internal/clients/pause"); err != nil {
		return b, err
	}
	return b, nil
}
