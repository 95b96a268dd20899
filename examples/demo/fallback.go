package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/plugintest/debugrecord"
	"github.com/cnirt/cni/types"
)

// fallbackList is the fallback network: the debug plugin records each
// call, the noop plugin returns the result given in its configuration.
const fallbackList = `{
  "cniVersion": "1.1.0",
  "name": "cnirt-demo-fallback",
  "plugins": [
    {"type": "noop",
     "result": {"cniVersion": "1.1.0",
                "interfaces": [{"name": "eth0"}],
                "ips": [{"address": "198.18.100.2/24", "gateway": "198.18.100.1", "interface": 0}]}},
    {"type": "debug", "capabilities": {"portMappings": true}, "debugFile": %q}
  ]
}`

// buildExamplePlugins builds the noop and debug example plugins into dir.
func buildExamplePlugins(ctx context.Context, dir string) error {
	for _, name := range []string{"noop", "debug"} {
		out := filepath.Join(dir, name)
		if runtime.GOOS == "windows" {
			out += ".exe"
		}
		cmd := exec.CommandContext(ctx, "go", "build", "-buildvcs=false", "-o", out, "github.com/cnirt/cni/examples/plugins/"+name)
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build of the %s example plugin failed (run the demo from the cnirt module directory, with the go command on PATH): %w\n%s", name, err, strings.TrimSpace(string(b)))
		}
	}
	return nil
}

// runFallback runs the library calls of the demo against the example
// plugins, which need no privileges.
func runFallback(ctx context.Context, o options) error {
	n := narrator{out: o.out}
	start := time.Now()
	fmt.Fprintln(o.out, "cnirt demo (FALLBACK): example plugins noop + debug; no namespaces or interfaces are created.")
	clean := &cleanups{n: n}
	defer clean.run()

	n.step("1. Building the example plugins (go build ./examples/plugins/noop ./examples/plugins/debug)")
	work, err := os.MkdirTemp("", "cnirt-demo-fallback-")
	if err != nil {
		return err
	}
	clean.add("remove "+work, func(context.Context) error { return os.RemoveAll(work) })
	pluginDir, cacheDir := filepath.Join(work, "bin"), filepath.Join(work, "cache")
	if err := os.MkdirAll(pluginDir, 0o755); err != nil {
		return err
	}
	if err := buildExamplePlugins(ctx, pluginDir); err != nil {
		return err
	}
	n.info("built into %s", pluginDir)

	n.step("2. Loading the network configuration")
	debugFile := filepath.Join(work, "debug.jsonl")
	list, err := libcni.ConfListFromBytes([]byte(fmt.Sprintf(fallbackList, debugFile)))
	if err != nil {
		return err
	}
	n.info("network %q, cniVersion %s, plugin chain: noop -> debug", list.Name, list.CNIVersion)
	cni := libcni.NewCNIConfigWithCacheDir([]string{pluginDir}, cacheDir, nil)

	rts := map[string]*libcni.RuntimeConf{}
	for _, label := range []string{"a", "b"} {
		// The plugins never open the namespace, so any path will do.
		rt := &libcni.RuntimeConf{
			ContainerID: "cnirt-demo-" + label,
			NetNS:       "/var/run/netns/cnirt-demo-" + label,
			IfName:      "eth0",
		}
		rts[label] = rt
		clean.add("DEL container "+label, func(ctx context.Context) error { return cni.DelNetworkList(ctx, list, rt) })
	}
	rts["a"].CapabilityArgs = map[string]any{"portMappings": []map[string]any{
		{"hostPort": hostPort, "containerPort": containerPort, "protocol": "tcp"},
	}}

	n.step("3. ADD: attaching containers a and b (AddNetworkList)")
	for _, label := range []string{"a", "b"} {
		res, err := cni.AddNetworkList(ctx, list, rts[label])
		if err != nil {
			return fmt.Errorf("ADD container %s: %w", label, err)
		}
		n.info("container %s: %s", label, summary(res))
		if label == "a" {
			n.info("result of container a:")
			n.result(res)
		}
	}
	n.info("(no traffic test: the example plugins create no interfaces)")

	n.step("4. CHECK and STATUS")
	for _, label := range []string{"a", "b"} {
		if err := cni.CheckNetworkList(ctx, list, rts[label]); err != nil {
			return fmt.Errorf("CHECK container %s: %w", label, err)
		}
		n.info("CHECK container %s: ok", label)
	}
	if err := cni.GetStatusNetworkList(ctx, list); err != nil {
		return fmt.Errorf("STATUS: %w", err)
	}
	n.info("STATUS %s: every plugin is ready", list.Name)

	n.step("5. GC: only container a is still in use")
	err = cni.GCNetworkList(ctx, list, &libcni.GCArgs{ValidAttachments: []types.GCAttachment{
		{ContainerID: rts["a"].ContainerID, IfName: "eth0"},
	}})
	if err != nil {
		return fmt.Errorf("GC: %w", err)
	}
	left, err := cni.GetCachedAttachments("")
	if err != nil {
		return err
	}
	var ids []string
	for _, att := range left {
		ids = append(ids, att.ContainerID)
	}
	n.info("cached attachments after GC: %v (b was deleted)", ids)

	n.step("6. DEL: detaching container a twice (the second DEL is a no-op)")
	for i := 0; i < 2; i++ {
		if err := cni.DelNetworkList(ctx, list, rts["a"]); err != nil {
			return fmt.Errorf("DEL container a: %w", err)
		}
	}
	n.info("DEL container a: ok, ok")

	n.step("7. What the debug plugin saw (one line per call)")
	recs, err := debugrecord.ReadFile(debugFile)
	if err != nil {
		return fmt.Errorf("reading the debug plugin's record: %w", err)
	}
	for i, r := range recs {
		var stdin struct {
			PrevResult    json.RawMessage `json:"prevResult"`
			RuntimeConfig json.RawMessage `json:"runtimeConfig"`
			Valid         json.RawMessage `json:"cni.dev/valid-attachments"`
		}
		_ = json.Unmarshal(r.Stdin, &stdin)
		extra := ""
		if len(stdin.PrevResult) > 0 {
			extra += " prevResult"
		}
		if len(stdin.RuntimeConfig) > 0 {
			extra += " runtimeConfig=" + string(stdin.RuntimeConfig)
		}
		if len(stdin.Valid) > 0 {
			extra += " valid-attachments=" + string(stdin.Valid)
		}
		n.info("%2d. %-6s container=%-14s ifname=%-4s exit=%d%s", i+1, r.Command,
			r.Env["CNI_CONTAINERID"], r.Env["CNI_IFNAME"], r.ExitCode, extra)
	}
	n.step("8. The sandbox manager (pkg/sandbox): one sandbox on two networks, each plugin sleeping 100 ms")
	sleepy := `{"cniVersion":"1.1.0","name":%q,"plugins":[{"type":"noop","sleep":{"ADD":"100ms"},
"result":{"cniVersion":"1.1.0","ips":[{"address":%q}]}}]}`
	nsPath, stopNS, err := fallbackNetNS()
	if err != nil {
		return err
	}
	clean.add("end the sandbox's namespace", stopNS)
	err = sandboxDemo{
		confs: map[string]string{
			"10-front.conflist": fmt.Sprintf(sleepy, "cnirt-demo-front", "198.18.110.2/24"),
			"20-back.conflist":  fmt.Sprintf(sleepy, "cnirt-demo-back", "198.18.111.2/24"),
		},
		pluginDir: pluginDir, work: work, netns: nsPath,
	}.run(ctx, n, clean)
	if err != nil {
		return err
	}

	clean.run()
	fmt.Fprintf(o.out, "\nFallback demo finished in %s. For the real thing run as root on Linux: sudo -E go run ./examples/demo\n",
		time.Since(start).Round(100*time.Millisecond))
	return nil
}
