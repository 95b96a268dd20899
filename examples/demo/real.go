package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/cnirt/cni/examples/internal/realplugins"
	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/plugintest/netns"
	"github.com/cnirt/cni/pkg/sandbox"
	"github.com/cnirt/cni/types"
	types100 "github.com/cnirt/cni/types/100"
)

// demoBridge is the bridge named in demo.conflist.
const demoBridge = "cnirt-demo0"

// containerPort is where container a listens; hostPort is mapped onto it.
const containerPort, hostPort = 8080, 18080

// realUnavailable says why the real demo cannot run, or returns nil.
func realUnavailable() error {
	if os.Geteuid() != 0 {
		return errors.New("it needs root to create network namespaces (try: sudo -E go run ./examples/demo)")
	}
	return netns.Available()
}

// pluginsNeeded are the real plugins demo.conflist uses.
func pluginsNeeded() []realplugins.Plugin {
	var out []realplugins.Plugin
	for _, p := range realplugins.Plugins() {
		switch p.Name {
		case "bridge", "host-local", "portmap", "firewall", "tuning", "ptp":
			out = append(out, p)
		}
	}
	return out
}

// findPlugins returns a directory holding the real plugins, installing
// them into the user cache if no configured directory has them.
func findPlugins(ctx context.Context, o options, n narrator) (string, error) {
	need := pluginsNeeded()
	var candidates []string
	if o.pluginDir != "" {
		candidates = append(candidates, o.pluginDir)
	}
	if d := os.Getenv("CNIRT_PLUGINS_DIR"); d != "" {
		candidates = append(candidates, d)
	}
	candidates = append(candidates, filepath.SplitList(os.Getenv("CNI_PATH"))...)
	for _, d := range candidates {
		if d != "" && len(realplugins.Missing(d, need)) == 0 {
			abs, err := filepath.Abs(d)
			if err != nil {
				return "", err
			}
			n.info("using the plugins in %s", abs)
			return abs, nil
		}
	}
	if o.pluginDir != "" {
		return "", fmt.Errorf("-plugins %s lacks %v", o.pluginDir, realplugins.Missing(o.pluginDir, need))
	}
	dir, err := realplugins.DefaultDir()
	if err != nil {
		return "", err
	}
	if missing := realplugins.Missing(dir, need); len(missing) > 0 {
		n.info("installing %v %s into %s", missing, realplugins.Version, dir)
		n.info("(go install; the first run downloads and builds them, about a minute)")
	}
	if err := realplugins.EnsurePlugins(ctx, dir, need); err != nil {
		return "", err
	}
	n.info("using the plugins in %s", dir)
	return dir, nil
}

// demoList loads the bundled configuration, pointing host-local at
// dataDir so the demo leaves no reservations in /var/lib/cni. Without
// iptables, the firewall plugin is dropped (and the caller skips the port
// mapping).
func demoList(dataDir string, withFirewall bool) (*libcni.NetworkConfigList, error) {
	var doc map[string]any
	if err := json.Unmarshal(demoConflist, &doc); err != nil {
		return nil, fmt.Errorf("demo.conflist: %w", err)
	}
	plugins, _ := doc["plugins"].([]any)
	var kept []any
	for _, p := range plugins {
		pm, _ := p.(map[string]any)
		if pm == nil {
			return nil, errors.New("demo.conflist: plugins must be objects")
		}
		if ipam, ok := pm["ipam"].(map[string]any); ok {
			ipam["dataDir"] = dataDir
		}
		if pm["type"] == "firewall" && !withFirewall {
			continue
		}
		kept = append(kept, pm)
	}
	doc["plugins"] = kept
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return libcni.ConfListFromBytes(b)
}

// container is one demo container.
type container struct {
	label  string
	ns     *netns.NetNS
	rt     *libcni.RuntimeConf
	result types.Result
}

func (c *container) ip() (net.IP, error) {
	r, err := types100.GetResult(c.result)
	if err != nil {
		return nil, err
	}
	for _, ipc := range r.IPs {
		if ipc.Address.IP.To4() != nil {
			return ipc.Address.IP, nil
		}
	}
	return nil, fmt.Errorf("container %s got no IPv4 address", c.label)
}

func (c *container) gateway() net.IP {
	r, err := types100.GetResult(c.result)
	if err != nil {
		return nil
	}
	for _, ipc := range r.IPs {
		if ipc.Gateway != nil {
			return ipc.Gateway
		}
	}
	return nil
}

// runReal runs the demo with real plugins and namespaces.
func runReal(ctx context.Context, o options) (err error) {
	n := narrator{out: o.out}
	start := time.Now()
	fmt.Fprintf(o.out, "cnirt demo: two network namespaces on a bridge, driven by cnirt with containernetworking/plugins %s\n", realplugins.Version)
	clean := &cleanups{n: n}
	defer clean.run()

	n.step("1. Finding the real CNI plugins")
	pluginDir, err := findPlugins(ctx, o, n)
	if err != nil {
		return err
	}

	n.step("2. Loading the network configuration (examples/demo/demo.conflist)")
	work, err := os.MkdirTemp("", "cnirt-demo-")
	if err != nil {
		return err
	}
	clean.add("remove "+work, func(context.Context) error { return os.RemoveAll(work) })
	cacheDir, dataDir := filepath.Join(work, "cache"), filepath.Join(work, "ipam")
	_, iptErr := exec.LookPath("iptables")
	withFirewall := iptErr == nil
	list, err := demoList(dataDir, withFirewall)
	if err != nil {
		return err
	}
	var chain []string
	for _, p := range list.Plugins {
		chain = append(chain, p.Network.Type)
	}
	n.info("network %q, cniVersion %s, plugin chain: %s", list.Name, list.CNIVersion, strings.Join(chain, " -> "))
	n.info("addresses from host-local in 198.18.100.0/24, no masquerading; cache in %s", cacheDir)
	if !withFirewall {
		n.info("NOTE: iptables is not installed: the firewall plugin and the port mapping are left out")
		n.info("      (apt-get install iptables to see them)")
	}
	cni := libcni.NewCNIConfigWithCacheDir([]string{pluginDir}, cacheDir, nil)
	if !netns.LinkExists(demoBridge) {
		clean.add("delete bridge "+demoBridge, func(ctx context.Context) error {
			if !netns.LinkExists(demoBridge) {
				return nil
			}
			return netns.IP(ctx, "link", "del", demoBridge)
		})
	}

	n.step("3. Creating two network namespaces")
	var ctrs []*container
	for _, label := range []string{"a", "b"} {
		name := fmt.Sprintf("cnirt-demo-%d-%s", os.Getpid(), label)
		ns, err := netns.Create(ctx, name)
		if err != nil {
			return err
		}
		clean.add("delete namespace "+name, ns.Delete)
		c := &container{label: label, ns: ns, rt: &libcni.RuntimeConf{
			ContainerID: "cnirt-demo-" + label, NetNS: ns.Path, IfName: "eth0",
		}}
		ctrs = append(ctrs, c)
		n.info("container %s: namespace %s", label, ns.Path)
	}
	a, b := ctrs[0], ctrs[1]
	if withFirewall {
		a.rt.CapabilityArgs = map[string]any{"portMappings": []map[string]any{
			{"hostPort": hostPort, "containerPort": containerPort, "protocol": "tcp"},
		}}
	}
	for _, c := range ctrs {
		c := c
		// Every ADD gets a DEL, even a failed one; DEL is idempotent.
		clean.add("DEL container "+c.label, func(ctx context.Context) error {
			return cni.DelNetworkList(ctx, list, c.rt)
		})
	}

	n.step("4. ADD: attaching both containers (AddNetworkList)")
	for _, c := range ctrs {
		t0 := time.Now()
		res, err := cni.AddNetworkList(ctx, list, c.rt)
		if err != nil {
			return fmt.Errorf("ADD container %s: %w", c.label, err)
		}
		c.result = res
		n.info("container %s: %s  (%s)", c.label, summary(res), time.Since(t0).Round(time.Millisecond))
	}
	n.info("result of container a:")
	n.result(a.result)

	n.step("5. Traffic: TCP from container b to container a across the bridge")
	ipA, err := a.ip()
	if err != nil {
		return err
	}
	ln, err := netns.Listen(a.ns.Path, "tcp", net.JoinHostPort(ipA.String(), fmt.Sprint(containerPort)))
	if err != nil {
		return fmt.Errorf("listening in container a: %w", err)
	}
	defer ln.Close()
	go func() { _ = netns.ServeLines(ln, func(line string) string { return line + ", says a" }) }()
	target := net.JoinHostPort(ipA.String(), fmt.Sprint(containerPort))
	reply, err := talk(ctx, b.ns.Path, target, "hello from b")
	if err != nil {
		return fmt.Errorf("TCP b -> a: %w", err)
	}
	n.info("b -> %s: sent %q, a answered %q", target, "hello from b", reply)
	if gw := a.gateway(); withFirewall && gw != nil {
		mapped := net.JoinHostPort(gw.String(), fmt.Sprint(hostPort))
		reply, err := talk(ctx, "", mapped, "hello from the host")
		if err != nil {
			return fmt.Errorf("TCP host -> port mapping %s: %w", mapped, err)
		}
		n.info("host -> %s (portmap: host port %d -> a:%d): a answered %q", mapped, hostPort, containerPort, reply)
	}
	if v, err := netns.ReadFile(a.ns.Path, "/proc/sys/net/core/somaxconn"); err == nil {
		n.info("tuning set net.core.somaxconn=%s inside container a", bytes.TrimSpace(v))
	}

	n.step("6. CHECK and STATUS")
	for _, c := range ctrs {
		if err := cni.CheckNetworkList(ctx, list, c.rt); err != nil {
			return fmt.Errorf("CHECK container %s: %w", c.label, err)
		}
		n.info("CHECK container %s: ok", c.label)
	}
	if err := cni.GetStatusNetworkList(ctx, list); err != nil {
		return fmt.Errorf("STATUS: %w", err)
	}
	n.info("STATUS %s: every plugin is ready", list.Name)

	n.step("7. GC: the runtime says only container a is still in use")
	before, err := cni.GetCachedAttachments("")
	if err != nil {
		return err
	}
	err = cni.GCNetworkList(ctx, list, &libcni.GCArgs{ValidAttachments: []types.GCAttachment{
		{ContainerID: a.rt.ContainerID, IfName: a.rt.IfName},
	}})
	if err != nil {
		return fmt.Errorf("GC: %w", err)
	}
	after, err := cni.GetCachedAttachments("")
	if err != nil {
		return err
	}
	n.info("cached attachments: %d before, %d after (container b was deleted by GC)", len(before), len(after))

	n.step("8. DEL: detaching (DelNetworkList; a second DEL is a no-op)")
	for _, c := range ctrs {
		if err := cni.DelNetworkList(ctx, list, c.rt); err != nil {
			return fmt.Errorf("DEL container %s: %w", c.label, err)
		}
		n.info("DEL container %s: ok", c.label)
	}
	left, err := cni.GetCachedAttachments("")
	if err != nil {
		return err
	}
	n.info("cached attachments left: %d", len(left))

	n.step("9. The sandbox manager (pkg/sandbox): one sandbox on two networks (bridge, ptp) attached in parallel")
	if err := realSandboxDemo(ctx, n, clean, pluginDir, work, dataDir); err != nil {
		return err
	}
	clean.run()
	fmt.Fprintf(o.out, "\nDemo finished in %s.\n", time.Since(start).Round(100*time.Millisecond))
	return nil
}

// sandboxBridge is the bridge of the sandbox manager's bridge network.
const sandboxBridge = "cnirt-demo1"

// realSandboxDemo attaches a third namespace to a bridge network and a
// ptp network with the sandbox manager and talks to it over both.
func realSandboxDemo(ctx context.Context, n narrator, clean *cleanups, pluginDir, work, dataDir string) error {
	if !netns.LinkExists(sandboxBridge) {
		clean.add("delete bridge "+sandboxBridge, func(ctx context.Context) error {
			if !netns.LinkExists(sandboxBridge) {
				return nil
			}
			return netns.IP(ctx, "link", "del", sandboxBridge)
		})
	}
	name := fmt.Sprintf("cnirt-demo-%d-sandbox", os.Getpid())
	ns, err := netns.Create(ctx, name)
	if err != nil {
		return err
	}
	clean.add("delete namespace "+name, ns.Delete)
	n.info("sandbox: namespace %s", ns.Path)
	ln, err := netns.Listen(ns.Path, "tcp", fmt.Sprintf(":%d", containerPort))
	if err != nil {
		return fmt.Errorf("listening in the sandbox: %w", err)
	}
	defer ln.Close()
	go func() { _ = netns.ServeLines(ln, func(line string) string { return line + ", says the sandbox" }) }()

	return sandboxDemo{
		confs: map[string]string{
			"10-bridge.conflist": fmt.Sprintf(`{"cniVersion":"1.1.0","name":"cnirt-demo-sb-bridge","plugins":[
  {"type":"bridge","bridge":%q,"isGateway":true,"ipMasq":false,
   "ipam":{"type":"host-local","dataDir":%q,"ranges":[[{"subnet":"198.18.102.0/24"}]]}}]}`, sandboxBridge, dataDir),
			"20-ptp.conflist": fmt.Sprintf(`{"cniVersion":"1.1.0","name":"cnirt-demo-sb-ptp","plugins":[
  {"type":"ptp","ipMasq":false,
   "ipam":{"type":"host-local","dataDir":%q,"ranges":[[{"subnet":"198.18.103.0/24"}]]}}]}`, dataDir),
		},
		pluginDir: pluginDir, work: work, netns: ns.Path,
		after: func(ctx context.Context, res *sandbox.Result) error {
			for _, ifName := range []string{"eth0", "net1"} {
				iface := res.Interfaces[ifName]
				if iface == nil || len(iface.IPs) == 0 {
					return fmt.Errorf("the sandbox has no address on %s", ifName)
				}
				addr := net.JoinHostPort(iface.IPs[0].Address.IP.String(), fmt.Sprint(containerPort))
				reply, err := talk(ctx, "", addr, "hello over "+iface.Network)
				if err != nil {
					return fmt.Errorf("TCP host -> sandbox %s: %w", addr, err)
				}
				n.info("  host -> %s (%s): the sandbox answered %q", addr, ifName, reply)
			}
			return nil
		},
	}.run(ctx, n, clean)
}

// talk sends msg to addr from the namespace nsPath ("" = host) and returns
// the reply, retrying for up to ten seconds while the links come up.
func talk(ctx context.Context, nsPath, addr, msg string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return netns.ExchangeRetry(ctx, nsPath, "tcp", addr, msg)
}
