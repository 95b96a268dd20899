package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/pkg/plugintest/netns"
)

func TestDemoListInjectsDataDirAndDropsFirewall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		firewall bool
		want     []string
	}{
		{firewall: true, want: []string{"bridge", "portmap", "firewall", "tuning"}},
		{firewall: false, want: []string{"bridge", "portmap", "tuning"}},
	}
	for _, tc := range tests {
		list, err := demoList("/tmp/x-ipam", tc.firewall)
		require.NoError(t, err)
		assert.Equal(t, "cnirt-demo", list.Name)
		var types []string
		for _, p := range list.Plugins {
			types = append(types, p.Network.Type)
		}
		assert.Equal(t, tc.want, types)
		var bridge struct {
			Bridge string `json:"bridge"`
			IPMasq bool   `json:"ipMasq"`
			IPAM   struct {
				DataDir string `json:"dataDir"`
				Ranges  [][]struct {
					Subnet string `json:"subnet"`
				} `json:"ranges"`
			} `json:"ipam"`
		}
		require.NoError(t, json.Unmarshal(list.Plugins[0].Bytes, &bridge))
		assert.Equal(t, demoBridge, bridge.Bridge)
		assert.False(t, bridge.IPMasq)
		assert.Equal(t, "/tmp/x-ipam", bridge.IPAM.DataDir)
		assert.Equal(t, "198.18.100.0/24", bridge.IPAM.Ranges[0][0].Subnet)
	}
}

func TestFallbackDemo(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out bytes.Buffer
	require.NoError(t, run(ctx, options{fallback: true, out: &out}), out.String())
	text := out.String()

	assert.Contains(t, text, "container a: eth0 198.18.100.2/24 via 198.18.100.1")
	assert.Contains(t, text, "cached attachments after GC: [cnirt-demo-a] (b was deleted)")
	// The debug plugin's record, in call order.
	var calls []string
	for _, m := range regexp.MustCompile(`(?m)^\s+\d+\. (\w+)\s+container=(\S*)`).FindAllStringSubmatch(text, -1) {
		calls = append(calls, m[1]+" "+m[2])
	}
	assert.Equal(t, []string{
		"ADD cnirt-demo-a", "ADD cnirt-demo-b", "CHECK cnirt-demo-a", "CHECK cnirt-demo-b",
		"STATUS ", "DEL cnirt-demo-b", "GC ", "DEL cnirt-demo-a", "DEL cnirt-demo-a",
	}, calls)
	assert.Regexp(t, `ADD\s+container=cnirt-demo-a .*runtimeConfig=\{"portMappings":\[\{"containerPort":8080,"hostPort":18080,"protocol":"tcp"\}\]\}`, text)
	// The sandbox manager: parallel attach of two 100 ms networks beats
	// the serial one.
	par := regexp.MustCompile(`Attach, parallel: 2 networks in (\S+)`).FindStringSubmatch(text)
	ser := regexp.MustCompile(`Attach, serial \(WithParallelism\(1\), for comparison\): 2 networks in (\S+)`).FindStringSubmatch(text)
	require.Len(t, par, 2, text)
	require.Len(t, ser, 2, text)
	dPar, err := time.ParseDuration(par[1])
	require.NoError(t, err)
	dSer, err := time.ParseDuration(ser[1])
	require.NoError(t, err)
	assert.GreaterOrEqual(t, dSer, 200*time.Millisecond)
	assert.Less(t, dPar, dSer, "parallel attach is faster than serial")
	assert.Regexp(t, `net1 +network cnirt-demo-back +198\.18\.111\.2/24`, text)
	// The work directory is gone.
	m := regexp.MustCompile(`built into (\S+)/bin`).FindStringSubmatch(text)
	require.Len(t, m, 2)
	_, err = os.Stat(m[1])
	assert.True(t, os.IsNotExist(err), "work dir %s left behind", m[1])
}

// TestRealDemo runs the demo with real plugins; it needs root, network
// namespaces and the plugins ($CNIRT_PLUGINS_DIR, or installs them into the
// user cache). In CI (CI=true) a missing prerequisite is a failure.
func TestRealDemo(t *testing.T) {
	if err := realUnavailable(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("real demo prerequisite missing (CI=true): %v", err)
		}
		t.Skipf("real demo prerequisite missing: %v", err)
	}
	if netns.LinkExists(demoBridge) {
		t.Fatalf("bridge %s exists already; is another demo running?", demoBridge)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out bytes.Buffer
	err := run(ctx, options{pluginDir: os.Getenv("CNIRT_PLUGINS_DIR"), out: &out})
	t.Log(out.String())
	require.NoError(t, err)
	text := out.String()
	assert.Regexp(t, `container a: eth0 198\.18\.100\.\d+/24 via 198\.18\.100\.1, host side veth`, text)
	assert.Contains(t, text, `a answered "hello from b, says a"`)
	assert.Contains(t, text, "CHECK container b: ok")
	assert.Contains(t, text, "cached attachments: 2 before, 1 after")
	assert.Contains(t, text, "cached attachments left: 0")
	assert.NotContains(t, text, "FAILED")
	// The sandbox manager: two networks in parallel, traffic over both.
	assert.Regexp(t, `Attach, parallel: 2 networks in`, text)
	assert.Regexp(t, `eth0 +network cnirt-demo-sb-bridge +198\.18\.102\.\d+/24`, text)
	assert.Regexp(t, `net1 +network cnirt-demo-sb-ptp +198\.18\.103\.\d+/24`, text)
	assert.Contains(t, text, `the sandbox answered "hello over cnirt-demo-sb-ptp, says the sandbox"`)
	assert.Contains(t, text, `the sandbox answered "hello over cnirt-demo-sb-bridge, says the sandbox"`)
	assert.Contains(t, text, "Detach (reverse order, cached configurations): ok, 0 cached attachments left")
	// Everything it created is gone.
	assert.False(t, netns.LinkExists(demoBridge), "bridge left behind")
	assert.False(t, netns.LinkExists(sandboxBridge), "sandbox bridge left behind")
	for _, m := range regexp.MustCompile(`namespace (/var/run/netns/\S+)`).FindAllStringSubmatch(text, -1) {
		_, err := os.Stat(m[1])
		assert.True(t, os.IsNotExist(err), "namespace %s left behind", m[1])
	}
	for _, m := range regexp.MustCompile(`host side (veth\w+)`).FindAllStringSubmatch(text, -1) {
		assert.False(t, netns.LinkExists(m[1]), "veth %s left behind", m[1])
	}
	if strings.Contains(text, "portmap: host port") {
		assert.Contains(t, text, `a answered "hello from the host, says a"`)
	}
}
