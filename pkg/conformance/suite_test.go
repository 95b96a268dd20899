package conformance_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/conformance"
)

func TestChecksAreNamedAndCiteTheSpec(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range conformance.Checks() {
		assert.False(t, seen[c.Name], "duplicate check %s", c.Name)
		seen[c.Name] = true
		assert.Contains(t, c.Section, "Section ", c.Name)
		assert.NotEmpty(t, c.Rule, c.Name)
	}
	assert.Len(t, seen, 17)
}

func TestNewRefusesWhatItCannotRun(t *testing.T) {
	dir := t.TempDir()
	exe := "plug"
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, exe), []byte("#!/bin/sh\n"), 0o755))
	list := func(s string) *libcni.NetworkConfigList {
		l, err := libcni.ConfListFromBytes([]byte(s))
		require.NoError(t, err)
		return l
	}
	ok := list(`{"cniVersion":"1.1.0","name":"n","plugins":[{"type":"plug"}]}`)
	tests := []struct {
		name  string
		list  *libcni.NetworkConfigList
		opts  conformance.Options
		field string
	}{
		{"nil list", nil, conformance.Options{}, "plugins"},
		{"missing plugin", list(`{"cniVersion":"1.1.0","name":"n","plugins":[{"type":"nosuch"}]}`), conformance.Options{PluginDirs: []string{dir}}, "plugins[0].type"},
		{"missing ipam plugin", list(`{"cniVersion":"1.1.0","name":"n","plugins":[{"type":"plug","ipam":{"type":"nosuch"}}]}`), conformance.Options{PluginDirs: []string{dir}}, "plugins[0].ipam.type"},
		{"unknown check", ok, conformance.Options{PluginDirs: []string{dir}, Checks: []string{"version", "nosuch"}}, "Checks"},
		{"long interface name", ok, conformance.Options{PluginDirs: []string{dir}, IfName: "eth0123456789abc"}, "IfName"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := conformance.New(tc.list, tc.opts)
			var ce *conformance.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.field, ce.Field, err.Error())
		})
	}
	s, err := conformance.New(ok, conformance.Options{PluginDirs: []string{dir}, Checks: []string{"status", "version"}})
	require.NoError(t, err)
	assert.NotNil(t, s)
}

func sampleReport() *conformance.Report {
	return &conformance.Report{Network: "net", CNIVersion: "1.1.0", Plugins: []string{"p"}, Results: []conformance.Result{
		{Check: "version", Section: "Section 2: VERSION", Status: conformance.Pass, Reason: "ok", Duration: time.Millisecond,
			Evidence: []conformance.Exchange{{Plugin: "p", Command: "VERSION", Env: []string{"CNI_COMMAND=VERSION"}, Stdout: "{}\x01", ExitCode: 0}}},
		{Check: "status", Section: "Section 2: STATUS", Status: conformance.Fail, Reason: "code 42 <reserved>"},
		{Check: "gc", Section: "Section 2: GC", Status: conformance.Skip, Reason: "1.0.0"},
	}}
}

func TestReportWriters(t *testing.T) {
	rep := sampleReport()
	pass, fail, skip := rep.Counts()
	assert.Equal(t, []int{1, 1, 1}, []int{pass, fail, skip})

	var table bytes.Buffer
	require.NoError(t, rep.WriteTable(&table))
	assert.Regexp(t, `(?m)^status +FAIL +0 +code 42 <reserved>$`, table.String())
	assert.Contains(t, table.String(), "3 checks: 1 passed, 1 failed, 1 skipped")

	var x bytes.Buffer
	require.NoError(t, rep.WriteJUnit(&x))
	var parsed struct {
		Suites []struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Skipped  int `xml:"skipped,attr"`
			Cases    []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(x.Bytes(), &parsed), x.String())
	require.Len(t, parsed.Suites, 1)
	assert.Equal(t, 3, parsed.Suites[0].Tests)
	assert.Equal(t, 1, parsed.Suites[0].Failures)
	assert.Equal(t, 1, parsed.Suites[0].Skipped)
	assert.Equal(t, "code 42 <reserved>", parsed.Suites[0].Cases[1].Failure.Message)

	var j bytes.Buffer
	require.NoError(t, rep.WriteJSON(&j))
	assert.True(t, strings.Contains(j.String(), `"check": "status"`))
}

// Example runs the suite's VERSION and STATUS checks, which need no
// network namespace, against a network and prints the outcome.
func Example() {
	list, err := libcni.ConfListFromBytes([]byte(`{"cniVersion":"1.1.0","name":"mynet","plugins":[{"type":"bridge"}]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	rep, err := conformance.Run(context.Background(), list, conformance.Options{
		PluginDirs: []string{"/opt/cni/bin"},
		Checks:     []string{"version", "status"},
	})
	if err != nil {
		fmt.Println(err) // here: the plugin is not installed
		return
	}
	for _, res := range rep.Results {
		fmt.Println(res.Check, res.Status, res.Reason)
	}
}
