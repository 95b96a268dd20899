package version_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	refversion "github.com/containernetworking/cni/pkg/version"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/version"
)

func TestCurrentAndLists(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "1.1.0", version.Current())
	assert.Equal(t, refversion.Current(), version.Current())
	assert.Equal(t, refversion.All.SupportedVersions(), version.All.SupportedVersions())
	assert.Equal(t, refversion.Legacy.SupportedVersions(), version.Legacy.SupportedVersions())
}

var versionInputs = []string{
	"", "0", "1", "0.1", "1.2", "0.1.0", "0.2.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0", "1.2.3",
	"1.2.3.4", "1.2.3.4.5", "a", "1.a", "1.2.b", "1..2", "1.", ".1", "..", "-1.0.0", "+1.0.0",
	" 1", "01.02.03", "99999999999999999999", "1.0.0-rc1", "v1.0.0", "1.0.0.",
}

// errorContains checks the rule for error texts: ours must contain the
// reference's. See errTextMismatch for errors that wrap JSON errors.
func errorContains(t *testing.T, ours, ref error, msgAndArgs ...interface{}) {
	t.Helper()
	if ref == nil {
		assert.NoError(t, ours, msgAndArgs...)
		return
	}
	if assert.Error(t, ours, msgAndArgs...) {
		assert.Empty(t, errTextMismatch(ours, ref), msgAndArgs...)
	}
}

// errTextMismatch returns "" when ours carries the reference error's text,
// or why not. The reference's message is split along its wrap chain: every
// layer's own text (the part before the wrapped error's text) must appear
// in ours. The texts of encoding/json's own errors at the bottom of the
// chain are not required, since this module's JSON decoding names the
// field and offset instead; any other innermost text is required.
func errTextMismatch(ours, ref error) string {
	o := ours.Error()
	if strings.Contains(o, ref.Error()) {
		return ""
	}
	for e := ref; e != nil; e = errors.Unwrap(e) {
		inner := errors.Unwrap(e)
		var own string
		if inner == nil {
			var se *json.SyntaxError
			var te *json.UnmarshalTypeError
			if errors.As(e, &se) || errors.As(e, &te) || strings.HasPrefix(e.Error(), "json: ") ||
				e.Error() == "unexpected end of JSON input" {
				return ""
			}
			own = e.Error()
		} else {
			own = strings.TrimSuffix(e.Error(), inner.Error())
		}
		if !strings.Contains(o, own) {
			return fmt.Sprintf("%q does not contain %q (from reference error %q)", o, own, ref.Error())
		}
	}
	return ""
}

func TestParseVersionMatchesReference(t *testing.T) {
	t.Parallel()
	for _, in := range versionInputs {
		a, b, c, err := version.ParseVersion(in)
		ra, rb, rc, rerr := refversion.ParseVersion(in)
		assert.Equal(t, [3]int{ra, rb, rc}, [3]int{a, b, c}, "input %q", in)
		errorContains(t, err, rerr, "input %q", in)
	}
}

func TestParseVersionErrorsAreTyped(t *testing.T) {
	t.Parallel()
	_, _, _, err := version.ParseVersion("1.x.0")
	var pe *version.ParseError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "minor", pe.Part)
	assert.Equal(t, "x", pe.Value)
	assert.ErrorIs(t, err, strconv.ErrSyntax)

	_, _, _, err = version.ParseVersion("1.2.3.4")
	require.ErrorAs(t, err, &pe)
	assert.Empty(t, pe.Part)
	assert.Contains(t, err.Error(), `invalid version "1.2.3.4": too many parts`)
}

func TestCompareMatchesReference(t *testing.T) {
	t.Parallel()
	for _, a := range versionInputs {
		for _, b := range versionInputs {
			got, err := version.GreaterThanOrEqualTo(a, b)
			want, rerr := refversion.GreaterThanOrEqualTo(a, b)
			assert.Equal(t, want, got, "%q >= %q", a, b)
			errorContains(t, err, rerr, "%q >= %q", a, b)

			got, err = version.GreaterThan(a, b)
			want, rerr = refversion.GreaterThan(a, b)
			assert.Equal(t, want, got, "%q > %q", a, b)
			errorContains(t, err, rerr, "%q > %q", a, b)
		}
	}
}

func TestCompareOrdering(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b    string
		gt, gte bool
	}{
		{"1.1.0", "1.0.0", true, true},
		{"1.0.0", "1.0.0", false, true},
		{"0.4.0", "1.0.0", false, false},
		{"0.10.0", "0.9.9", true, true},
		{"", "0.1.0", false, true},
		{"1", "0.99.99", true, true},
	} {
		gt, err := version.GreaterThan(tc.a, tc.b)
		require.NoError(t, err)
		gte, err := version.GreaterThanOrEqualTo(tc.a, tc.b)
		require.NoError(t, err)
		assert.Equal(t, tc.gt, gt, "%q > %q", tc.a, tc.b)
		assert.Equal(t, tc.gte, gte, "%q >= %q", tc.a, tc.b)
	}
}

// pluginAnswers are VERSION answers of every shape seen in the wild, and
// some garbage.
var pluginAnswers = []string{
	`{"cniVersion":"1.1.0","supportedVersions":["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}`,
	`{"cniVersion":"1.0.0","supportedVersions":["1.0.0"]}` + "\n",
	`{"cniVersion":"0.3.1","supportedVersions":["0.1.0","0.2.0","0.3.0","0.3.1"]}`,
	`{"cniVersion":"0.2.0"}`,
	`{"cniVersion":"0.1.0"}`,
	`{"cniVersion":"1.0.0"}`,
	`{"cniVersion":"1.0.0","supportedVersions":[]}`,
	`{"cniVersion":"0.2.0","supportedVersions":[]}`,
	`{"supportedVersions":["1.0.0"]}`,
	`{"cniVersion":""}`,
	`{}`, `null`, `[]`, `""`, ``, `garbage`, `{"cniVersion":1}`, `{"cniVersion":"1.0.0","supportedVersions":"1.0.0"}`,
	`{"cniVersion":"1.0.0","supportedVersions":["1.0.0"],"extra":true}`,
	`{"CNIVERSION":"1.0.0","SupportedVersions":["1.0.0"]}`,
	`{"cniVersion":"1.0.0"`,
}

func TestPluginDecoderMatchesReference(t *testing.T) {
	t.Parallel()
	var dec version.PluginDecoder
	var ref refversion.PluginDecoder
	for _, in := range pluginAnswers {
		got, err := dec.Decode([]byte(in))
		want, rerr := ref.Decode([]byte(in))
		errorContains(t, err, rerr, "answer %q", in)
		if rerr != nil {
			assert.Nil(t, got, "answer %q", in)
			continue
		}
		require.NotNil(t, got, "answer %q", in)
		assert.Equal(t, want.SupportedVersions(), got.SupportedVersions(), "answer %q", in)
		var gb, wb bytes.Buffer
		require.NoError(t, got.Encode(&gb))
		require.NoError(t, want.Encode(&wb))
		assert.JSONEq(t, wb.String(), gb.String(), "answer %q", in)
	}
}

func TestPluginDecoderErrors(t *testing.T) {
	t.Parallel()
	var dec version.PluginDecoder
	for _, tc := range []struct {
		in, missing, contains string
	}{
		{`{"supportedVersions":["1.0.0"]}`, "cniVersion", "missing field cniVersion"},
		{`{"cniVersion":"1.0.0"}`, "supportedVersions", "missing field supportedVersions"},
		{`garbage`, "", `decoding version info: invalid character 'g' looking for beginning of value`},
		{`{"cniVersion":1}`, "", "cannot unmarshal number"},
	} {
		_, err := dec.Decode([]byte(tc.in))
		var de *version.DecodeError
		require.ErrorAs(t, err, &de, tc.in)
		assert.Equal(t, tc.missing, de.Missing, tc.in)
		assert.Contains(t, err.Error(), "decoding version info: ", tc.in)
		assert.Contains(t, err.Error(), tc.contains, tc.in)
		if de.Err != nil {
			assert.Equal(t, "decoding version info: "+de.Err.Error(), err.Error(), "the reference's text")
			assert.Contains(t, fmt.Sprintf("%+v", err), fmt.Sprintf("(plugin answered %q)", tc.in))
		}
	}
	_, err := dec.Decode([]byte(`{"cniVersion":1}`))
	var te *json.UnmarshalTypeError
	assert.ErrorAs(t, err, &te, "the JSON error is wrapped")

	long := bytes.Repeat([]byte("x"), 1000)
	_, err = dec.Decode(long)
	require.Error(t, err)
	assert.Less(t, len(err.Error()), 200, "a long answer is quoted only in part")
}

func TestPluginSupportsEncode(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	require.NoError(t, version.PluginSupports("0.4.0", "1.0.0").Encode(&buf))
	assert.Equal(t, `{"cniVersion":"1.1.0","supportedVersions":["0.4.0","1.0.0"]}`+"\n", buf.String())

	var ref bytes.Buffer
	require.NoError(t, refversion.PluginSupports("0.4.0", "1.0.0").Encode(&ref))
	assert.Equal(t, ref.String(), buf.String())

	// No versions: no panic, and nothing is compatible.
	none := version.PluginSupports()
	assert.Empty(t, none.SupportedVersions())
	var r version.Reconciler
	assert.NotNil(t, r.Check("1.0.0", none))
}

func TestConfigDecoderMatchesReference(t *testing.T) {
	t.Parallel()
	var dec version.ConfigDecoder
	var ref refversion.ConfigDecoder
	for _, in := range []string{
		`{"cniVersion":"1.0.0","name":"n"}`, `{"name":"n"}`, `{"cniVersion":""}`, `{}`, `null`,
		`garbage`, ``, `{"cniVersion":4}`, `[]`, `{"CNIVERSION":"0.4.0"}`,
	} {
		got, err := dec.Decode([]byte(in))
		want, rerr := ref.Decode([]byte(in))
		assert.Equal(t, want, got, "config %q", in)
		errorContains(t, err, rerr, "config %q", in)
	}
}

func TestReconcilerMatchesReference(t *testing.T) {
	t.Parallel()
	var r version.Reconciler
	var ref refversion.Reconciler
	lists := [][]string{nil, {}, {"1.0.0"}, {"0.1.0", "0.2.0"}, version.All.SupportedVersions()}
	for _, conf := range []string{"", "0.1.0", "0.2.0", "1.0.0", "1.1.0", "1.0", "9.9.9"} {
		for _, list := range lists {
			got := r.CheckRaw(conf, list)
			want := ref.CheckRaw(conf, list)
			if want == nil {
				assert.Nil(t, got, "%q in %q", conf, list)
				continue
			}
			require.NotNil(t, got, "%q in %q", conf, list)
			assert.Equal(t, want.Config, got.Config)
			assert.Equal(t, want.Supported, got.Supported)
			assert.Equal(t, want.Details(), got.Details())
			assert.Contains(t, got.Error(), want.Error())

			gotInfo := r.Check(conf, version.PluginSupports(append([]string{"x"}, list...)...))
			require.NotNil(t, gotInfo)
		}
	}
	assert.NotNil(t, r.Check("1.0.0", nil), "a nil PluginInfo supports nothing")
}

func TestErrorIncompatibleAs(t *testing.T) {
	t.Parallel()
	var r version.Reconciler
	var err error = r.CheckRaw("0.4.0", []string{"1.0.0"})
	var ei *version.ErrorIncompatible
	require.True(t, errors.As(err, &ei))
	assert.Equal(t, "0.4.0", ei.Config)
	assert.Equal(t, `incompatible CNI versions: config is "0.4.0", plugin supports ["1.0.0"]`, err.Error())
}

func TestVersionsStartingFrom(t *testing.T) {
	t.Parallel()
	for _, v := range version.All.SupportedVersions() {
		assert.Equal(t, refversion.VersionsStartingFrom(v).SupportedVersions(),
			version.VersionsStartingFrom(v).SupportedVersions(), "from %q", v)
	}
	assert.Equal(t, []string{"0.4.0", "1.0.0", "1.1.0"}, version.VersionsStartingFrom("0.3.5").SupportedVersions())
	assert.Empty(t, version.VersionsStartingFrom("2.0.0").SupportedVersions())
	assert.Empty(t, version.VersionsStartingFrom("garbage").SupportedVersions())
}

// The versions a PluginInfo reports are a copy: editing them (or the slice
// given to PluginSupports) does not change what it supports.
func TestSupportedVersionsAreCopies(t *testing.T) {
	t.Parallel()
	in := []string{"0.4.0", "1.0.0"}
	info := version.PluginSupports(in...)
	in[0] = "9.9.9"
	got := info.SupportedVersions()
	assert.Equal(t, []string{"0.4.0", "1.0.0"}, got)
	got[1] = "8.8.8"
	assert.Equal(t, []string{"0.4.0", "1.0.0"}, info.SupportedVersions())
	all := version.All.SupportedVersions()
	all[0] = "x"
	assert.Equal(t, "0.1.0", version.All.SupportedVersions()[0])
}
