// Package convert is the registry that lets a result of one CNI spec
// version be converted to another, and be created from JSON by version,
// without the version packages importing each other in a cycle.
//
// The registry is filled by the init functions of types/020, types/040
// and types/100 and is read-only afterwards: Register* must only be called
// from init, so lookups need no locking.
package convert

import (
	"fmt"

	"github.com/cnirt/cni/types"
)

// Func converts from (whose Version is the registered source version) to
// toVersion (one of the registered target versions).
type Func func(from types.Result, toVersion string) (types.Result, error)

// CreateFunc builds a result from its JSON. A result whose cniVersion is
// absent or empty is taken to be in fallbackVersion when that is not empty.
type CreateFunc func(data []byte, fallbackVersion string) (types.Result, error)

type route struct{ from, to string }

// The two registries below are written only during package
// initialisation (RegisterConverter/RegisterCreator called from init
// functions) and never modified afterwards.
var (
	converters = map[route]Func{}
	creators   = map[string]CreateFunc{}
)

// RegisterConverter records fn as the converter from fromVersion to each
// of toVersions. It must only be called from an init function; it panics
// on a duplicate registration, which is a programming error.
func RegisterConverter(fromVersion string, toVersions []string, fn Func) {
	for _, to := range toVersions {
		k := route{fromVersion, to}
		if _, dup := converters[k]; dup {
			panic("convert: duplicate converter from " + fromVersion + " to " + to)
		}
		converters[k] = fn
	}
}

// RegisterCreator records fn as the creator for each of versions. It must
// only be called from an init function; it panics on a duplicate.
func RegisterCreator(versions []string, fn CreateFunc) {
	for _, v := range versions {
		if _, dup := creators[v]; dup {
			panic("convert: duplicate creator for " + v)
		}
		creators[v] = fn
	}
}

// ConversionError reports a result that cannot be converted to the
// requested version: no conversion exists, or the target version cannot
// express the result.
type ConversionError struct {
	// From and To are the source and requested versions.
	From, To string
	// Reason is empty when no conversion exists between the versions,
	// otherwise why this result cannot be converted, as a whole message.
	Reason string
}

// Error returns Reason alone, as the reference does ("cannot convert: no
// valid IP addresses" reaches runtimes as a plugin's message, so it stays
// exact; From and To say the versions), or the reference's "no converter
// for CNI result version <from> to <to>".
func (e *ConversionError) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("no converter for CNI result version %s to %s", e.From, e.To)
	}
	return e.Reason
}

// VersionError reports a result whose version is not handled: Create was
// asked for an unknown version, or a result's JSON names a version its
// parser does not implement.
type VersionError struct {
	// Version is the offending version.
	Version string
	// Supported lists the versions the parser handles; nil when no
	// parser exists for Version at all.
	Supported []string
}

// Error implements error.
func (e *VersionError) Error() string {
	if e.Supported == nil {
		return fmt.Sprintf("unsupported CNI result version %q", e.Version)
	}
	return fmt.Sprintf("result type supports %v but unmarshalled CNIVersion is %q", e.Supported, e.Version)
}

// Convert returns from converted to toVersion. An empty toVersion means
// 0.1.0. A result already in toVersion is returned as is.
func Convert(from types.Result, toVersion string) (types.Result, error) {
	if toVersion == "" {
		toVersion = "0.1.0"
	}
	if from == nil {
		return nil, &ConversionError{To: toVersion, Reason: "cannot convert: no result to convert to version " + toVersion}
	}
	fromVersion := from.Version()
	if fromVersion == toVersion {
		return from, nil
	}
	fn := converters[route{fromVersion, toVersion}]
	if fn == nil {
		return nil, &ConversionError{From: fromVersion, To: toVersion}
	}
	return fn(from, toVersion)
}

// Create parses data as a result of the given version.
func Create(version string, data []byte) (types.Result, error) {
	return CreateWithFallback(version, data, "")
}

// CreateWithFallback parses data with the parser of version; a result
// without a cniVersion is taken to be in fallbackVersion (when not empty).
func CreateWithFallback(version string, data []byte, fallbackVersion string) (types.Result, error) {
	fn := creators[version]
	if fn == nil {
		return nil, &VersionError{Version: version}
	}
	return fn(data, fallbackVersion)
}

// Mismatch returns the error for a converter handed a result whose Go
// type does not implement its declared version.
func Mismatch(from types.Result, toVersion string) error {
	return &ConversionError{From: from.Version(), To: toVersion,
		Reason: fmt.Sprintf("cannot convert: a result of type %T cannot hold version %s", from, from.Version())}
}

// NullElement returns the error for a result holding a null element in
// a list (interfaces, ips, routes) where the conversion needs a value.
func NullElement(from types.Result, toVersion, list string, i int) error {
	return &ConversionError{From: from.Version(), To: toVersion,
		Reason: fmt.Sprintf("cannot convert: %s[%d] is null", list, i)}
}
