package version

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
)

// PluginInfo describes the CNI specification versions a plugin speaks, as
// announced by its VERSION command.
type PluginInfo interface {
	// SupportedVersions lists the versions the plugin accepts. A plugin
	// given a configuration of one of them answers in that same version.
	SupportedVersions() []string

	// Encode writes the information as the JSON answer to VERSION.
	Encode(io.Writer) error
}

// pluginInfo is the JSON shape of a VERSION answer.
type pluginInfo struct {
	CNIVersion string   `json:"cniVersion"`
	Versions   []string `json:"supportedVersions,omitempty"`
}

var _ PluginInfo = (*pluginInfo)(nil)

// Encode writes p as one line of JSON.
func (p *pluginInfo) Encode(w io.Writer) error {
	return json.NewEncoder(w).Encode(p)
}

// SupportedVersions returns a copy of the versions the plugin announced,
// so callers cannot change what the PluginInfo (for example All) supports.
func (p *pluginInfo) SupportedVersions() []string {
	return slices.Clone(p.Versions)
}

// PluginSupports returns a PluginInfo that announces the given versions and
// carries Current() as its own cniVersion. At least one version should be
// given: with none, the PluginInfo supports nothing, so every configuration
// is refused as incompatible (the reference library panics instead).
func PluginSupports(supportedVersions ...string) PluginInfo {
	return &pluginInfo{CNIVersion: specVersion, Versions: slices.Clone(supportedVersions)}
}

// DecodeError is the error PluginDecoder returns for a VERSION answer it
// cannot use. Either Err is the JSON decoding error, or Missing names the
// required field the answer lacks.
type DecodeError struct {
	// Missing is the name of the absent field ("cniVersion" or
	// "supportedVersions"), or "" when the JSON itself is bad.
	Missing string
	// Input is the start of the offending answer, for the message.
	Input string
	// Err is the JSON decoding error, if any.
	Err error
}

// maxQuoted bounds how much of a bad answer an error message repeats.
const maxQuoted = 64

// Error returns the reference library's text: "decoding version info: "
// followed by the reason. The verbose form, fmt's %+v, adds the start of
// the plugin's answer when the JSON itself is bad.
func (e *DecodeError) Error() string {
	if e.Err != nil {
		return "decoding version info: " + e.Err.Error()
	}
	return "decoding version info: missing field " + e.Missing
}

// Format implements fmt.Formatter: %+v gives Error() followed by
// ` (plugin answered "...")` when the JSON is bad; %v and %s give
// Error(), %q quotes it.
func (e *DecodeError) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('+') && e.Err != nil:
		fmt.Fprintf(f, "%s (plugin answered %q)", e.Error(), e.Input)
	case verb == 'q':
		fmt.Fprintf(f, "%q", e.Error())
	default:
		fmt.Fprint(f, e.Error())
	}
}

// Unwrap returns the JSON decoding error, if any.
func (e *DecodeError) Unwrap() error { return e.Err }

func newDecodeError(input []byte, err error) *DecodeError {
	in := input
	if len(in) > maxQuoted {
		in = in[:maxQuoted]
	}
	s := string(in)
	if len(input) > maxQuoted {
		s += "..."
	}
	return &DecodeError{Input: s, Err: err}
}

// PluginDecoder decodes the answer a plugin prints for the VERSION command.
type PluginDecoder struct{}

// Decode parses a VERSION answer. The modern shape is
// {"cniVersion": ..., "supportedVersions": [...]}. A plugin of the 0.2.0
// era may answer {"cniVersion": "0.2.0"} alone, which means it supports
// 0.1.0 and 0.2.0. Anything else without both fields, and anything that is
// not a JSON object, is a *DecodeError.
func (*PluginDecoder) Decode(jsonBytes []byte) (PluginInfo, error) {
	var info pluginInfo
	if err := json.Unmarshal(jsonBytes, &info); err != nil {
		return nil, newDecodeError(jsonBytes, err)
	}
	if info.CNIVersion == "" {
		return nil, &DecodeError{Missing: "cniVersion"}
	}
	if len(info.Versions) == 0 {
		if info.CNIVersion == "0.2.0" {
			return PluginSupports("0.1.0", "0.2.0"), nil
		}
		return nil, &DecodeError{Missing: "supportedVersions"}
	}
	return &info, nil
}
