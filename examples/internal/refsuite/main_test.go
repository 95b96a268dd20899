package main

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCommittedExpectationsParse(t *testing.T) {
	exp, err := parseExpectations(expectationsText)
	require.NoError(t, err)
	for _, e := range exp.list {
		assert.NotEmpty(t, e.Reason, "line %d", e.line)
	}
}

func TestParseExpectationsRefusesBadLines(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"too few fields", "fail | libcni | spec", "line 1: want"},
		{"bad kind", "maybe | libcni | spec | why", `kind "maybe"`},
		{"empty reason", "fail | libcni | spec |  ", "line 1: want"},
		{"duplicate", "fail | p | s | r\nskip | p | s | r2", "line 2: spec already listed on line 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseExpectations(tc.text)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestJudge(t *testing.T) {
	exp, err := parseExpectations("# c\nfail | p | known bad | why\nskip | p | history | git\nfail | p | gone | old\n")
	require.NoError(t, err)
	s := judge([]specResult{
		{Pkg: "p", Text: "good", State: "passed"},
		{Pkg: "p", Text: "known bad", State: "failed"},
		{Pkg: "p", Text: "history", State: "skipped"},
		{Pkg: "p", Text: "new bad", State: "panicked", Failure: "x_test.go:3: boom"},
		{Pkg: "q", Text: "known bad", State: "passed"},
	}, exp)
	assert.Equal(t, 2, s.passed)
	assert.Equal(t, 2, s.failed)
	assert.Equal(t, 1, s.skipped)
	assert.Equal(t, 1, s.deliberate)
	require.False(t, s.ok())
	var buf bytes.Buffer
	s.print(&buf)
	out := buf.String()
	assert.Contains(t, out, "FAIL p: new bad\n    x_test.go:3: boom")
	assert.Contains(t, out, "MISSING p: gone")
	assert.NotContains(t, out, "UNEXPECTED")
	assert.Regexp(t, `(?m)^refsuite: 2 passed, 2 failed, 1 skipped \(deliberate: 1\)$`, out)

	// A listed failure that passes is an error, so the list stays true.
	s = judge([]specResult{{Pkg: "p", Text: "known bad", State: "passed"}, {Pkg: "p", Text: "history", State: "skipped"}, {Pkg: "p", Text: "gone", State: "failed"}}, exp)
	buf.Reset()
	s.print(&buf)
	assert.Contains(t, buf.String(), "UNEXPECTED PASS p: known bad")
	assert.False(t, s.ok())

	// An unlisted skip is an error too.
	s = judge([]specResult{{Pkg: "p", Text: "other", State: "skipped"}}, &expectations{})
	assert.False(t, s.ok())
}

func TestRewriteImports(t *testing.T) {
	for in, want := range map[string]string{
		`"github.com/containernetworking/cni/libcni"`:                    `"github.com/cnirt/cni/libcni"`,
		`"github.com/containernetworking/cni/pkg/invoke/fakes"`:          `"github.com/cnirt/cni/invoke/fakes"`,
		`current "github.com/containernetworking/cni/pkg/types/100"`:     `current "github.com/cnirt/cni/types/100"`,
		`"github.com/containernetworking/cni/pkg/skel"`:                  `"github.com/cnirt/cni/pkg/skel"`,
		`"github.com/containernetworking/cni/pkg/utils"`:                 `"github.com/cnirt/cni/pkg/utils"`,
		`"noop": "github.com/containernetworking/cni/plugins/test/noop"`: `"noop": "github.com/cnirt/cni/plugins/test/noop"`,
	} {
		assert.Equal(t, want, rewriteImports(in))
	}
}

func TestSkipRegexpMatchesGinkgoText(t *testing.T) {
	exp, err := parseExpectations("skip | invoke | GetVersion, integration tests current | git\n")
	require.NoError(t, err)
	re := regexp.MustCompile(exp.skipRegexp())
	assert.True(t, re.MatchString("Invoke Suite GetVersion, integration tests current"))
	assert.False(t, re.MatchString("Invoke Suite GetVersion, integration tests current and more"))
}
