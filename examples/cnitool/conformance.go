package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/cnirt/cni/pkg/conformance"
)

// conformance runs the plugin conformance suite against network netName:
// a table on stdout (the report as JSON with --json), JUnit XML in the
// --junit file, and exit status 1 when a check failed.
func (t *tool) conformance(ctx context.Context, netName string) (map[string]any, error) {
	list, err := t.loadNet(netName)
	if err != nil {
		return nil, err
	}
	s, err := conformance.New(list, conformance.Options{
		PluginDirs: t.pluginPath(), IfName: t.ifName, HostSetup: t.hostSetup, Checks: t.checks,
	})
	if err != nil {
		var ce *conformance.ConfigError
		if errors.As(err, &ce) && ce.Field == "Checks" {
			return nil, usageErr("%v", err)
		}
		code := exitCode(err)
		if code == exitFailed {
			code = exitConfigInvalid
		}
		return nil, &cliError{code: code, err: err}
	}
	rep, err := s.Run(ctx)
	if err != nil {
		return nil, err
	}
	if t.junit != "" {
		var b bytes.Buffer
		if err := rep.WriteJUnit(&b); err != nil {
			return nil, err
		}
		if err := os.WriteFile(t.junit, b.Bytes(), 0o644); err != nil {
			return nil, fmt.Errorf("writing the JUnit report: %w", err)
		}
	}
	var out map[string]any
	if t.json {
		b, err := json.Marshal(rep)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &out); err != nil {
			return nil, err
		}
	} else if err := rep.WriteTable(t.stdout); err != nil {
		return nil, err
	}
	if failed := rep.Failed(); len(failed) > 0 {
		return out, &cliError{code: exitFailed, err: fmt.Errorf("network %q: %d of %d conformance checks failed (first: %s: %s)",
			rep.Network, len(failed), len(rep.Results), failed[0].Check, failed[0].Reason)}
	}
	return out, nil
}
