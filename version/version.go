// Package version holds the CNI specification versions this library speaks,
// compares and reconciles version strings, decodes the answer of a plugin's
// VERSION command and turns raw result bytes into a result of a given
// version.
//
// Version strings are "major.minor.micro"; a missing minor or micro part
// counts as zero and an empty string means 0.1.0, the version of
// configurations written before cniVersion existed.
package version

import (
	"encoding/json"
	"fmt"

	"github.com/cnirt/cni/pkg/shimvar"
	"github.com/cnirt/cni/types"
	"github.com/cnirt/cni/types/create"
)

// specVersion is the CNI specification version implemented by this library.
const specVersion = "1.1.0"

// Current returns the CNI specification version this library implements,
// "1.1.0".
func Current() string {
	return specVersion
}

// Legacy and All are the compatibility variables of the reference library.
//
// Legacy describes a plugin that predates the VERSION command: it speaks
// 0.1.0 and 0.2.0, the versions whose results are interchangeable with the
// original protocol.
//
// All lists every CNI specification version, oldest first; a plugin that
// passes All to pkg/skel accepts configurations of any version. While All
// holds its initial value, VersionsStartingFrom reads the compat shim's
// version.All instead, so setting it through the shim has the reference's
// effect.
var (
	Legacy = PluginSupports("0.1.0", "0.2.0")
	All    = defaultAll
)

// defaultAll is All's initial value.
var defaultAll = PluginSupports("0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0")

// VersionsStartingFrom returns the versions of All that are greater than or
// equal to min, in the order of All. A min that is not itself a member of All
// still works ("0.3.5" yields 0.4.0 and later); a min that does not parse, or
// is above every known version, yields a PluginInfo that supports nothing
// (the reference library panics in that case).
func VersionsStartingFrom(min string) PluginInfo {
	all := shimvar.VersionAll.Effective(All, func(v shimvar.PluginInfo) bool { return v == defaultAll }).SupportedVersions()
	out := make([]string, 0, len(all))
	for _, v := range all {
		ok, err := GreaterThanOrEqualTo(v, min)
		if err != nil {
			// All holds well-formed versions, so the bad one is min.
			return &pluginInfo{CNIVersion: specVersion}
		}
		if ok {
			out = append(out, v)
		}
	}
	return &pluginInfo{CNIVersion: specVersion, Versions: out}
}

// NewResult decodes resultBytes as a result of the given CNI version. The
// version picks the result family (0.1.0/0.2.0, 0.3.x/0.4.0 or 1.x); the
// result's own cniVersion must belong to that family.
func NewResult(version string, resultBytes []byte) (types.Result, error) {
	return create.Create(version, resultBytes)
}

// ParsePrevResult turns conf.RawPrevResult, the "prevResult" object of a
// plugin configuration, into conf.PrevResult, a result of conf.CNIVersion.
// A prevResult without a cniVersion (allowed before 1.0.0) is taken to have
// the configuration's version. On return RawPrevResult is nil, whether or
// not parsing succeeded; a configuration without prevResult is left alone.
func ParsePrevResult(conf *types.PluginConf) error {
	if conf == nil || conf.RawPrevResult == nil {
		return nil
	}
	raw := conf.RawPrevResult
	conf.RawPrevResult = nil
	// raw is owned by conf, which is consumed here, so it is edited in place.
	setDefaultVersion(raw, conf.CNIVersion)
	b, err := json.Marshal(raw)
	if err != nil {
		return fmt.Errorf("could not serialize prevResult: %w", err)
	}
	res, err := create.Create(conf.CNIVersion, b)
	if err != nil {
		return fmt.Errorf("could not parse prevResult: %w", err)
	}
	conf.PrevResult = res
	return nil
}

// setDefaultVersion makes raw carry its version under the key "cniVersion".
// A non-empty version under another spelling that encoding/json would match
// to the field (such as "CNIVersion") is kept and moved to that key; with no
// version at all, def is used.
func setDefaultVersion(raw map[string]interface{}, def string) {
	if s, ok := raw["cniVersion"].(string); ok && s != "" {
		return
	}
	v := def
	for k, val := range raw {
		if k == "cniVersion" || len(k) != len("cniVersion") || !equalFoldASCII(k, "cniVersion") {
			continue
		}
		if s, ok := val.(string); ok && s != "" {
			v = s
		}
		delete(raw, k)
	}
	raw["cniVersion"] = v
}

func equalFoldASCII(a, b string) bool {
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
