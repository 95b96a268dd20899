package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cnirt/cni/pkg/plugintest/netns"
)

// innerPods is the hidden step that runs one pod scenario inside the
// private namespaces.
const innerPods = "pods-inner"

// Pod network of the scenario (in the private network namespace; the
// driver's slice of 198.18.0.0/15).
const (
	podSubnet  = "198.18.192.0/24"
	podBridge  = "i17c-br0"
	podNetName = "i17c-pods"
	// pauseImageName is the sandbox image the CRI config pins.
	pauseImageName = "registry.k8s.io/pause:3.10.2"
	pausePort      = 7007
)

// scenario is one pod run: its inputs (set by the outer step) and its
// outcome (written by the inner step as JSON).
type scenario struct {
	Variant    string `json:"variant"` // "REF" or "cnirt"
	CNIVersion string `json:"cniVersion"`
	Containerd string `json:"containerd"`
	Bin        string `json:"bin"`
	Plugins    string `json:"plugins"`
	Pause      string `json:"pause"`
	Dir        string `json:"dir"`
	Pods       int    `json:"pods"`
	Parallel   int    `json:"parallel"`

	Started   int             `json:"started"`
	Starts    []time.Duration `json:"starts"`
	Addressed int             `json:"addressed"`
	Reached   int             `json:"reached"`
	Removed   int             `json:"removed"`
	Leaks     []string        `json:"leaks"`
	NetReady  bool            `json:"netReady"`
	Errors    []string        `json:"errors"`
}

// podsStep builds the binaries, then runs the four scenarios (reference
// and cnirt containerd, cniVersion 1.0.0 and 1.1.0), each in its own
// private network, mount and PID namespace, and prints the table.
func podsStep(ctx context.Context, o *options) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: the pod scenario needs root", errMissing)
	}
	for _, tool := range []string{"unshare", "ip", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%w: %s not on PATH", errMissing, tool)
		}
	}
	plugins := os.Getenv("CNIRT_PLUGINS_DIR")
	if plugins == "" {
		plugins = "/opt/cnirt/plugins"
	}
	if !exists(plugins, "bridge", "host-local", "loopback") {
		return fmt.Errorf("%w: bridge, host-local and loopback in %s (CNIRT_PLUGINS_DIR; go run ./examples/internal/realplugins/install DIR)", errMissing, plugins)
	}
	b, err := buildAll(ctx, o)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var results []*scenario
	var failed []string
	for _, ver := range []string{"1.0.0", "1.1.0"} {
		for _, variant := range []string{"REF", "cnirt"} {
			if !o.wants(variant) {
				continue
			}
			sc := &scenario{Variant: variant, CNIVersion: ver, Bin: b.bin, Plugins: plugins, Pause: b.pause,
				Pods: o.pods, Parallel: o.parallel, Containerd: b.refContainerd}
			if variant == "cnirt" {
				sc.Containerd = b.cnirtContainerd
			}
			sc.Dir = filepath.Join(o.work, "pods-"+variant+"-"+ver)
			if err := os.MkdirAll(sc.Dir, 0o755); err != nil {
				return err
			}
			spec := filepath.Join(sc.Dir, "scenario.json")
			data, _ := json.Marshal(sc)
			if err := os.WriteFile(spec, data, 0o644); err != nil {
				return err
			}
			fmt.Printf("  containerd %s (%s), cniVersion %s: %d pods, %d at a time\n", ContainerdVersion, variant, ver, o.pods, o.parallel)
			cmd := exec.CommandContext(ctx, "unshare", "--net", "--mount", "--pid", "--fork", "--mount-proc",
				"--propagation", "private", "--", self, innerPods, spec)
			cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
			runErr := cmd.Run()
			out, err := os.ReadFile(spec + ".out")
			res := &scenario{Variant: variant, CNIVersion: ver, Pods: o.pods}
			if err == nil {
				err = json.Unmarshal(out, res)
			}
			if err != nil {
				res.Errors = append(res.Errors, fmt.Sprintf("no result (%v; inner run: %v)", err, runErr))
			}
			if runErr != nil {
				res.Errors = append(res.Errors, "inner run: "+runErr.Error())
			}
			results = append(results, res)
			if len(res.Errors) > 0 || res.Started != res.Pods || res.Addressed != res.Pods || res.Reached != res.Pods ||
				res.Removed != res.Pods || len(res.Leaks) > 0 || !res.NetReady {
				failed = append(failed, variant+"/"+ver)
				for _, e := range res.Errors {
					fmt.Fprintf(os.Stderr, "    %s %s: %s\n", variant, ver, e)
				}
				for _, l := range res.Leaks {
					fmt.Fprintf(os.Stderr, "    %s %s: leak: %s\n", variant, ver, l)
				}
			}
		}
	}
	fmt.Printf("\n| cniVersion | containerd %s on | pods started | addressed | reach the next pod | stopped + removed | leaks | NetworkReady | median `crictl runp` |\n", ContainerdVersion)
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, r := range results {
		lib := "reference v1.3.1"
		if r.Variant == "cnirt" {
			lib = "cnirt (replace)"
		}
		fmt.Printf("| %s | %s | %d/%d | %d/%d | %d/%d | %d/%d | %d | %v | %s |\n", r.CNIVersion, lib,
			r.Started, r.Pods, r.Addressed, r.Pods, r.Reached, r.Pods, r.Removed, r.Pods, len(r.Leaks), r.NetReady,
			median(r.Starts).Round(time.Millisecond))
	}
	if len(failed) > 0 {
		return fmt.Errorf("pod scenarios failed: %s", strings.Join(failed, ", "))
	}
	return nil
}

// containerdConfig is the config (version 3; containerd 2.4 migrates it)
// of the scenario: native snapshotter, NRI off, OOM score adjustment
// restricted (root here may lack CAP_SYS_RESOURCE), the CNI directories of
// the scenario and the pinned pause image.
func containerdConfig(sc *scenario, sock string) string {
	q := func(s string) string { return "'" + s + "'" }
	return `version = 3
root = ` + q(filepath.Join(sc.Dir, "root")) + `
state = ` + q(filepath.Join(sc.Dir, "state")) + `

[grpc]
  address = ` + q(sock) + `

[plugins]
  [plugins.'io.containerd.nri.v1.nri']
    disable = true
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = 'native'
    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = ` + q(pauseImageName) + `
  [plugins.'io.containerd.cri.v1.runtime']
    enable_selinux = false
    restrict_oom_score_adj = true
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = 'runc'
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
        runtime_type = 'io.containerd.runc.v2'
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
          BinaryName = ` + q(filepath.Join(sc.Bin, "runc")) + `
    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = [` + q(sc.Plugins) + `]
      conf_dir = ` + q(filepath.Join(sc.Dir, "net.d")) + `
      max_conf_num = 1
`
}

// podConflist is the pod network: bridge + host-local, masquerade off.
func podConflist(cniVersion string) string {
	return `{
  "cniVersion": "` + cniVersion + `",
  "name": "` + podNetName + `",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "` + podBridge + `",
      "isGateway": true,
      "ipMasq": false,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "` + podSubnet + `"}]],
        "routes": [{"dst": "198.18.0.0/15"}]
      }
    }
  ]
}
`
}

// podsInner runs one scenario; it is called as PID 1 of fresh network,
// mount and PID namespaces, so everything it starts dies with it and
// nothing it mounts or configures reaches the host.
func podsInner(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: pods-inner SCENARIO.json")
	}
	data, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	sc := &scenario{}
	if err := json.Unmarshal(data, sc); err != nil {
		return err
	}
	runErr := runScenario(ctx, sc)
	if runErr != nil {
		sc.Errors = append(sc.Errors, runErr.Error())
	}
	out, err := json.Marshal(sc)
	if err != nil {
		return err
	}
	return errors.Join(runErr, os.WriteFile(args[0]+".out", out, 0o644))
}

func runScenario(ctx context.Context, sc *scenario) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	sh := runner{dir: sc.Dir, env: []string{"PATH=" + sc.Bin + ":" + os.Getenv("PATH")}}
	if _, err := sh.run(ctx, "ip", "link", "set", "lo", "up"); err != nil {
		return err
	}
	// Private copies of the paths containerd, its shims and go-cni use
	// whatever the configuration says.
	for _, p := range []string{"/run/containerd", "/var/lib/cni", "/var/lib/containerd", "/run/netns"} {
		src := filepath.Join(sc.Dir, "mnt", strings.ReplaceAll(strings.Trim(p, "/"), "/", "-"))
		if err := os.MkdirAll(src, 0o755); err != nil {
			return err
		}
		if err := os.MkdirAll(p, 0o755); err != nil {
			return err
		}
		if _, err := sh.run(ctx, "mount", "--bind", src, p); err != nil {
			return err
		}
	}
	netd := filepath.Join(sc.Dir, "net.d")
	if err := os.MkdirAll(netd, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(netd, "10-"+podNetName+".conflist"), []byte(podConflist(sc.CNIVersion)), 0o644); err != nil {
		return err
	}
	sock := filepath.Join(sc.Dir, "containerd.sock")
	cfg := filepath.Join(sc.Dir, "config.toml")
	if err := os.WriteFile(cfg, []byte(containerdConfig(sc, sock)), 0o644); err != nil {
		return err
	}
	logPath := filepath.Join(sc.Dir, "containerd.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	ctrd := exec.Command(sc.Containerd, "--config", cfg, "--log-level", "info")
	ctrd.Env = append(os.Environ(), sh.env...)
	ctrd.Stdout, ctrd.Stderr = logf, logf
	if err := ctrd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- ctrd.Wait() }()
	defer func() {
		_ = ctrd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = ctrd.Process.Kill()
			<-exited
		}
	}()
	fail := func(err error) error {
		log, _ := os.ReadFile(logPath)
		return fmt.Errorf("%w\ncontainerd log (last lines):\n%s", err, tail(string(log), 25))
	}
	crictl := func(ctx context.Context, args ...string) (string, error) {
		return sh.output(ctx, append([]string{filepath.Join(sc.Bin, "crictl"), "--runtime-endpoint", "unix://" + sock,
			"--image-endpoint", "unix://" + sock, "--timeout", "60s"}, args...)...)
	}
	// Wait for the CRI service.
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err = crictl(ctx, "version"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fail(fmt.Errorf("containerd did not serve CRI within 60s: %w", err))
		}
		select {
		case err := <-exited:
			return fail(fmt.Errorf("containerd exited: %v", err))
		case <-time.After(300 * time.Millisecond):
		}
	}
	archive := filepath.Join(sc.Dir, "pause.tar")
	if err := writePauseImage(archive, pauseImageName, sc.Pause); err != nil {
		return err
	}
	if _, err := sh.run(ctx, filepath.Join(sc.Bin, "ctr"), "--address", sock, "--namespace", "k8s.io",
		"images", "import", "--local", "--snapshotter", "native", archive); err != nil {
		return fail(err)
	}
	if out, err := crictl(ctx, "images", "-q", pauseImageName); err != nil || strings.TrimSpace(out) == "" {
		return fail(fmt.Errorf("the CRI plugin does not see the imported %s (%v): %q", pauseImageName, err, out))
	}
	if err := waitNetReady(ctx, sc, crictl); err != nil {
		return fail(err)
	}

	// Start the pods, sc.Parallel at a time.
	ids := make([]string, sc.Pods)
	starts := make([]time.Duration, sc.Pods)
	errs := make([]error, sc.Pods)
	sem := make(chan struct{}, sc.Parallel)
	var wg sync.WaitGroup
	for i := range sc.Pods {
		name := fmt.Sprintf("i17c-pod-%d", i)
		spec := filepath.Join(sc.Dir, name+".json")
		cfgJSON := fmt.Sprintf(`{"metadata":{"name":%q,"namespace":"i17c","uid":"uid-%s","attempt":0},"hostname":%q,"log_directory":%q,"linux":{}}`,
			name, name, name, filepath.Join(sc.Dir, "podlogs", name))
		if err := os.WriteFile(spec, []byte(cfgJSON), 0o644); err != nil {
			return err
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			t0 := time.Now()
			out, err := crictl(ctx, "runp", spec)
			starts[i] = time.Since(t0)
			ids[i], errs[i] = strings.TrimSpace(out), err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			sc.Errors = append(sc.Errors, fmt.Sprintf("runp pod %d: %v", i, err))
			ids[i] = ""
			continue
		}
		sc.Started++
		sc.Starts = append(sc.Starts, starts[i])
	}

	// Addresses, unique and in the subnet.
	_, subnet, _ := net.ParseCIDR(podSubnet)
	ips := make([]string, sc.Pods)
	paths := make([]string, sc.Pods)
	seen := map[string]bool{}
	for i, id := range ids {
		if id == "" {
			continue
		}
		ip, path, err := inspectPod(ctx, crictl, id)
		if err != nil {
			sc.Errors = append(sc.Errors, fmt.Sprintf("pod %d: %v", i, err))
			continue
		}
		if parsed := net.ParseIP(ip); parsed == nil || !subnet.Contains(parsed) || seen[ip] {
			sc.Errors = append(sc.Errors, fmt.Sprintf("pod %d: address %q not a new one in %s", i, ip, podSubnet))
			continue
		}
		seen[ip] = true
		ips[i], paths[i] = ip, path
		sc.Addressed++
	}

	// Each pod reaches the next one's pause process over the pod network.
	for i := range sc.Pods {
		j := (i + 1) % sc.Pods
		if paths[i] == "" || ips[j] == "" {
			continue
		}
		rctx, rcancel := context.WithTimeout(ctx, 20*time.Second)
		answer, err := netns.ExchangeRetry(rctx, paths[i], "tcp", net.JoinHostPort(ips[j], fmt.Sprint(pausePort)), "who")
		rcancel()
		if err != nil || answer != fmt.Sprintf("i17c-pod-%d", j) {
			sc.Errors = append(sc.Errors, fmt.Sprintf("pod %d -> pod %d (%s): answer %q, %v", i, j, ips[j], answer, err))
			continue
		}
		sc.Reached++
	}

	// Stop and remove, sc.Parallel at a time.
	rmErrs := make([]error, sc.Pods)
	for i, id := range ids {
		if id == "" {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if _, err := crictl(ctx, "stopp", id); err != nil {
				rmErrs[i] = err
				return
			}
			_, rmErrs[i] = crictl(ctx, "rmp", id)
		}()
	}
	wg.Wait()
	for i, id := range ids {
		if id == "" {
			continue
		}
		if rmErrs[i] != nil {
			sc.Errors = append(sc.Errors, fmt.Sprintf("stopp/rmp pod %d: %v", i, rmErrs[i]))
			continue
		}
		sc.Removed++
	}
	sc.Leaks = leaks(ctx, sh)
	if len(sc.Errors) > 0 {
		log, _ := os.ReadFile(logPath)
		sc.Errors = append(sc.Errors, "containerd log (last lines):\n"+tail(string(log), 25))
	}
	return nil
}

// waitNetReady waits until the CRI plugin reports NetworkReady (with
// cniVersion 1.1.0 go-cni asks the plugins through STATUS).
func waitNetReady(ctx context.Context, sc *scenario, crictl func(context.Context, ...string) (string, error)) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := crictl(ctx, "info")
		if err == nil {
			var info struct {
				Status struct {
					Conditions []struct {
						Type    string `json:"type"`
						Status  bool   `json:"status"`
						Reason  string `json:"reason"`
						Message string `json:"message"`
					} `json:"conditions"`
				} `json:"status"`
			}
			if jerr := json.Unmarshal([]byte(out), &info); jerr != nil {
				return fmt.Errorf("crictl info: %w", jerr)
			}
			for _, c := range info.Status.Conditions {
				if c.Type == "NetworkReady" && c.Status {
					sc.NetReady = true
					return nil
				}
				if c.Type == "NetworkReady" {
					err = fmt.Errorf("NetworkReady false: %s: %s", c.Reason, c.Message)
				}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("CRI network not ready within 30s: %v", err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// inspectPod returns the pod's address and the path of its network
// namespace from `crictl inspectp`.
func inspectPod(ctx context.Context, crictl func(context.Context, ...string) (string, error), id string) (ip, path string, err error) {
	out, err := crictl(ctx, "inspectp", "-o", "json", id)
	if err != nil {
		return "", "", err
	}
	var v struct {
		Status struct {
			Network struct {
				IP string `json:"ip"`
			} `json:"network"`
		} `json:"status"`
		Info struct {
			RuntimeSpec struct {
				Linux struct {
					Namespaces []struct {
						Type string `json:"type"`
						Path string `json:"path"`
					} `json:"namespaces"`
				} `json:"linux"`
			} `json:"runtimeSpec"`
		} `json:"info"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		return "", "", fmt.Errorf("inspectp: %w", err)
	}
	for _, ns := range v.Info.RuntimeSpec.Linux.Namespaces {
		if ns.Type == "network" {
			path = ns.Path
		}
	}
	if path == "" {
		return "", "", errors.New("inspectp shows no network namespace path")
	}
	return v.Status.Network.IP, path, nil
}

// leaks lists what the removed pods left behind: addresses still reserved
// in host-local's store, cached results, veths and network namespaces.
func leaks(ctx context.Context, sh runner) []string {
	var out []string
	dir := filepath.Join("/var/lib/cni/networks", podNetName)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() == "lock" || strings.HasPrefix(e.Name(), "last_reserved_ip") {
			continue
		}
		out = append(out, "host-local reservation "+filepath.Join(dir, e.Name()))
	}
	entries, _ = os.ReadDir("/var/lib/cni/results")
	for _, e := range entries {
		out = append(out, "cache entry /var/lib/cni/results/"+e.Name())
	}
	links, err := sh.run(ctx, "ip", "-o", "link", "show", "type", "veth")
	if err != nil {
		out = append(out, "ip link: "+err.Error())
	}
	for _, l := range strings.Split(strings.TrimSpace(links), "\n") {
		if l != "" {
			out = append(out, "veth "+l)
		}
	}
	entries, _ = os.ReadDir("/run/netns")
	for _, e := range entries {
		out = append(out, "network namespace /run/netns/"+e.Name())
	}
	return out
}
