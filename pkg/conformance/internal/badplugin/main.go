//go:build linux

// Command badplugin is a CNI plugin for the conformance suite's own tests:
// well behaved by default, it breaks exactly one rule of the specification
// when its configuration's "mode" names one (see modes). It keeps its
// address pool ("addresses") and attachments as files under "dataDir",
// takes its mode also from its executable's name (badplugin-<mode>),
// makes the container interface a Linux bridge link (which every kernel
// has) with the ip command, and, with "chained": true, only passes its
// prevResult on.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/cnirt/cni/pkg/plugintest/netns"
)

// conf is the plugin's configuration.
type conf struct {
	CNIVersion    string          `json:"cniVersion"`
	Name          string          `json:"name"`
	Mode          string          `json:"mode"`
	Chained       bool            `json:"chained"`
	DataDir       string          `json:"dataDir"`
	Addresses     []string        `json:"addresses"`
	PrevResult    json.RawMessage `json:"prevResult"`
	RuntimeConfig struct {
		MAC string `json:"mac"`
	} `json:"runtimeConfig"`
	ValidAttachments []struct {
		ContainerID string `json:"containerID"`
		IfName      string `json:"ifname"`
	} `json:"cni.dev/valid-attachments"`
}

// accepted are the versions the plugin really handles.
var accepted = []string{"0.4.0", "1.0.0", "1.1.0"}

// cniErr is a CNI error object.
type cniErr struct {
	CNIVersion string `json:"cniVersion,omitempty"`
	Code       int    `json:"code"`
	Msg        string `json:"msg"`
	Details    string `json:"details,omitempty"`
}

func (e *cniErr) Error() string { return e.Msg }

// inputErr marks an error about the request's environment or stdin,
// which the exit0-on-error and plaintext-error modes answer wrongly.
type inputErr struct{ *cniErr }

func main() {
	stdin, _ := io.ReadAll(os.Stdin)
	var c conf
	_ = json.Unmarshal(stdin, &c) // the mode is needed even to report errors
	if c.Mode == "" {
		// VERSION gets no configuration: a link named badplugin-<mode>
		// gives the mode then.
		_, c.Mode, _ = strings.Cut(filepath.Base(os.Args[0]), "badplugin-")
	}
	if err := run(stdin, &c); err != nil {
		var ie inputErr
		ce, ok := err.(*cniErr)
		if errors.As(err, &ie) {
			ce, ok = ie.cniErr, true
			switch c.Mode {
			case "exit0-on-error":
				_ = json.NewEncoder(os.Stdout).Encode(ce)
				os.Exit(0)
			case "plaintext-error":
				fmt.Println("error:", ce.Msg)
				os.Exit(1)
			case "reserved-error-code":
				ce.Code = 42
			}
		}
		if !ok {
			ce = &cniErr{Code: 100, Msg: err.Error()}
		}
		ce.CNIVersion = c.CNIVersion
		_ = json.NewEncoder(os.Stdout).Encode(ce)
		os.Exit(1)
	}
}

func input(code int, format string, args ...any) error {
	return inputErr{&cniErr{Code: code, Msg: fmt.Sprintf(format, args...)}}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func run(stdin []byte, c *conf) error {
	cmd := os.Getenv("CNI_COMMAND")
	if cmd == "" {
		return input(4, "CNI_COMMAND is missing")
	}
	if !json.Valid(stdin) {
		return input(6, "stdin is not JSON")
	}
	if cmd == "VERSION" {
		return version(c)
	}
	if !contains(accepted, c.CNIVersion) && c.Mode != "version-unsupported-accepted" {
		return &cniErr{Code: 1, Msg: "incompatible CNI version", Details: c.CNIVersion}
	}
	switch cmd {
	case "STATUS":
		if c.Mode == "status-reserved-code" {
			return &cniErr{Code: 42, Msg: "not ready"}
		}
		return nil
	case "GC":
		return gc(c)
	case "ADD", "DEL", "CHECK":
	default:
		return input(4, "unknown CNI_COMMAND %q", cmd)
	}
	id, ifname := os.Getenv("CNI_CONTAINERID"), os.Getenv("CNI_IFNAME")
	if id == "" {
		return input(4, "CNI_CONTAINERID is missing")
	}
	if ifname == "" {
		return input(4, "CNI_IFNAME is missing")
	}
	if len(ifname) > 15 {
		return input(4, "CNI_IFNAME %q is longer than 15 bytes", ifname)
	}
	nsPath := os.Getenv("CNI_NETNS")
	switch cmd {
	case "ADD":
		return add(c, id, ifname, nsPath)
	case "DEL":
		return del(c, id, ifname, nsPath)
	}
	return check(c, id, ifname, nsPath)
}

func version(c *conf) error {
	list := accepted
	if c.Mode == "version-missing" {
		list = []string{"0.4.0", "1.0.0"}
	}
	v := c.CNIVersion
	if c.Mode == "version-echo-wrong" {
		v = "0.4.0"
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"cniVersion": v, "supportedVersions": list})
}

// stateFile is where an attachment's address is kept.
func stateFile(c *conf, id, ifname string) string {
	return filepath.Join(c.DataDir, "att-"+id+"-"+ifname)
}

// ip runs the ip command inside the namespace at nsPath.
func ip(nsPath string, args ...string) error {
	cmd := exec.Command("ip", args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := netns.Do(nsPath, cmd.Start); err != nil {
		return err
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

func macOf(nsPath, ifname string) (string, error) {
	var mac string
	err := netns.Do(nsPath, func() error {
		itf, err := net.InterfaceByName(ifname)
		if err != nil {
			return err
		}
		mac = itf.HardwareAddr.String()
		return nil
	})
	return mac, err
}

// allocate takes the first free address of the pool.
func allocate(c *conf, owner string) (string, error) {
	for _, a := range c.Addresses {
		p := filepath.Join(c.DataDir, "ip-"+strings.NewReplacer("/", "_", ":", "_").Replace(a))
		f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			continue
		}
		_, _ = f.WriteString(owner)
		_ = f.Close()
		return a, nil
	}
	return "", &cniErr{Code: 11, Msg: "no free address in the pool"}
}

func release(c *conf, addr string) {
	_ = os.Remove(filepath.Join(c.DataDir, "ip-"+strings.NewReplacer("/", "_", ":", "_").Replace(addr)))
}

func add(c *conf, id, ifname, nsPath string) error {
	if c.Chained {
		out := []byte(c.PrevResult)
		if c.Mode == "drop-prevresult" || len(out) == 0 {
			out = []byte(fmt.Sprintf(`{"cniVersion":%q}`, c.CNIVersion))
		}
		_, err := os.Stdout.Write(append(out, '\n'))
		return err
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return err
	}
	addr, err := allocate(c, id+"/"+ifname)
	if err != nil {
		return err
	}
	if err := ip(nsPath, "link", "add", ifname, "type", "bridge"); err != nil {
		release(c, addr)
		return err
	}
	if c.RuntimeConfig.MAC != "" && c.Mode != "ignore-mac" {
		if err := ip(nsPath, "link", "set", ifname, "address", c.RuntimeConfig.MAC); err != nil {
			return err
		}
	}
	if err := ip(nsPath, "addr", "add", addr, "dev", ifname); err != nil {
		return err
	}
	if err := ip(nsPath, "link", "set", ifname, "up"); err != nil {
		return err
	}
	mac, err := macOf(nsPath, ifname)
	if err != nil {
		return err
	}
	if err := os.WriteFile(stateFile(c, id, ifname), []byte(addr), 0o600); err != nil {
		return err
	}
	_ = os.Remove(stateFile(c, id, ifname) + ".deleted")
	if c.Mode == "wrong-mac" {
		mac = "02:00:00:00:00:99"
	}
	index := 0
	if c.Mode == "index-out-of-range" {
		index = 3
	}
	res := map[string]any{
		"cniVersion": c.CNIVersion,
		"interfaces": []map[string]any{{"name": ifname, "mac": mac, "sandbox": nsPath}},
		"ips":        []map[string]any{{"address": addr, "interface": index}},
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		return err
	}
	if c.Mode == "garbage-stdout" {
		fmt.Println("done")
	}
	return nil
}

func del(c *conf, id, ifname, nsPath string) error {
	if c.Chained {
		return nil
	}
	state := stateFile(c, id, ifname)
	addr, err := os.ReadFile(state)
	if err != nil {
		if _, terr := os.Stat(state + ".deleted"); terr == nil && c.Mode == "del-twice-fails" {
			return &cniErr{Code: 100, Msg: "attachment already deleted"}
		}
		return nil
	}
	if len(c.PrevResult) == 0 && c.Mode == "del-needs-prevresult" {
		return &cniErr{Code: 100, Msg: "DEL needs prevResult"}
	}
	if _, err := os.Stat(nsPath); err != nil && c.Mode == "del-needs-netns" {
		// It cleans up what it can, but reports the missing namespace.
		release(c, string(addr))
		_ = os.Remove(state)
		return &cniErr{Code: 100, Msg: "the namespace is gone"}
	}
	if c.Mode != "del-leaks-interface" {
		if _, err := os.Stat(nsPath); err == nil {
			_ = ip(nsPath, "link", "del", ifname)
		}
	}
	release(c, string(addr))
	_ = os.Remove(state)
	return os.WriteFile(state+".deleted", nil, 0o600)
}

func check(c *conf, id, ifname, nsPath string) error {
	if c.Chained || c.Mode == "check-after-del-succeeds" {
		return nil
	}
	if _, err := os.ReadFile(stateFile(c, id, ifname)); err != nil {
		return &cniErr{Code: 100, Msg: "no such attachment"}
	}
	if _, err := macOf(nsPath, ifname); err != nil {
		return &cniErr{Code: 100, Msg: "the interface is gone", Details: err.Error()}
	}
	return nil
}

func gc(c *conf) error {
	if c.Chained || c.Mode == "gc-keeps-stale" {
		return nil
	}
	valid := map[string]bool{}
	for _, a := range c.ValidAttachments {
		valid[a.ContainerID+"/"+a.IfName] = true
	}
	entries, _ := os.ReadDir(c.DataDir)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "ip-") {
			continue
		}
		p := filepath.Join(c.DataDir, e.Name())
		owner, err := os.ReadFile(p)
		if err == nil && !valid[string(owner)] {
			_ = os.Remove(p)
		}
	}
	return nil
}
