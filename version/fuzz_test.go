package version_test

import (
	"strings"
	"testing"

	refversion "github.com/containernetworking/cni/pkg/version"

	"github.com/cnirt/cni/version"
)

// FuzzPluginDecoder checks that any VERSION answer decodes without panic,
// to the same versions as the reference, or to an error containing the
// reference's text.
func FuzzPluginDecoder(f *testing.F) {
	for _, s := range pluginAnswers {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var dec version.PluginDecoder
		var ref refversion.PluginDecoder
		got, err := dec.Decode(in)
		want, rerr := ref.Decode(in)
		if (err == nil) != (rerr == nil) {
			t.Fatalf("input %q: error %v, reference error %v", in, err, rerr)
		}
		if rerr != nil {
			if msg := errTextMismatch(err, rerr); msg != "" {
				t.Fatalf("input %q: %s", in, msg)
			}
			return
		}
		if g, w := strings.Join(got.SupportedVersions(), ","), strings.Join(want.SupportedVersions(), ","); g != w {
			t.Fatalf("input %q: versions %s, reference %s", in, g, w)
		}
	})
}

// FuzzConfigDecoder does the same for a configuration's cniVersion.
func FuzzConfigDecoder(f *testing.F) {
	for _, s := range []string{`{"cniVersion":"1.0.0"}`, `{}`, `null`, `x`, `{"cniVersion":1}`, `{"CniVersion":"0.4.0"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var dec version.ConfigDecoder
		var ref refversion.ConfigDecoder
		got, err := dec.Decode(in)
		want, rerr := ref.Decode(in)
		if got != want || (err == nil) != (rerr == nil) {
			t.Fatalf("input %q: (%q, %v), reference (%q, %v)", in, got, err, want, rerr)
		}
		if rerr != nil {
			if msg := errTextMismatch(err, rerr); msg != "" {
				t.Fatalf("input %q: %s", in, msg)
			}
		}
	})
}

// FuzzParseVersion compares version parsing and ordering with the
// reference.
func FuzzParseVersion(f *testing.F) {
	for _, s := range versionInputs {
		f.Add(s, "1.0.0")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		x1, x2, x3, err := version.ParseVersion(a)
		y1, y2, y3, rerr := refversion.ParseVersion(a)
		if x1 != y1 || x2 != y2 || x3 != y3 || (err == nil) != (rerr == nil) {
			t.Fatalf("%q: (%d,%d,%d,%v), reference (%d,%d,%d,%v)", a, x1, x2, x3, err, y1, y2, y3, rerr)
		}
		if rerr != nil && !strings.Contains(err.Error(), rerr.Error()) {
			t.Fatalf("%q: error %q does not contain %q", a, err, rerr)
		}
		got, _ := version.GreaterThanOrEqualTo(a, b)
		want, _ := refversion.GreaterThanOrEqualTo(a, b)
		if got != want {
			t.Fatalf("%q >= %q: %v, reference %v", a, b, got, want)
		}
	})
}
