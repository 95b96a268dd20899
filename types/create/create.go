// Package create builds a result of the right spec version from JSON,
// reading the version from the document's cniVersion member.
package create

import (
	"fmt"

	"github.com/cnirt/cni/pkg/jsonx"
	"github.com/cnirt/cni/types"
	_ "github.com/cnirt/cni/types/020" // registers 0.1.0 and 0.2.0
	_ "github.com/cnirt/cni/types/040" // registers 0.3.0, 0.3.1, 0.4.0
	_ "github.com/cnirt/cni/types/100" // registers 1.0.0 and 1.1.0
	"github.com/cnirt/cni/types/internal/convert"
)

// ConversionError reports a result that cannot be converted to a
// requested version. Match it with errors.As.
type ConversionError = convert.ConversionError

// VersionError reports a result version no parser handles. Match it with
// errors.As.
type VersionError = convert.VersionError

// DecodeVersion returns the cniVersion of a configuration or result
// document, or "0.1.0" when it has none. The whole document must be valid
// JSON and cniVersion, if present, a string.
func DecodeVersion(jsonBytes []byte) (string, error) {
	v, err := decodeVersion(jsonBytes)
	if err != nil {
		return "", fmt.Errorf("decoding version from network config: %w", err)
	}
	if v == "" {
		return "0.1.0", nil
	}
	return v, nil
}

func decodeVersion(data []byte) (string, error) {
	var d jsonx.Decoder
	d.Reset(data)
	// The reference decodes into an anonymous struct; its errors name it.
	null, err := d.ObjectStart(`struct { CNIVersion string "json:\"cniVersion\"" }`)
	if err != nil {
		return "", err
	}
	var version string
	if !null {
		for first := true; ; first = false {
			key, ok, err := d.ObjectKey(first)
			if err != nil {
				return "", err
			}
			if !ok {
				break
			}
			if jsonx.FoldKey(key, "cniVersion") {
				b, null, err := d.ReadStringBytes()
				if err != nil {
					return "", jsonx.InStruct(jsonx.InField(err, "cniVersion"), "")
				}
				if !null {
					version = string(b)
				}
				continue
			}
			if err := d.Skip(); err != nil {
				return "", err
			}
		}
	}
	return version, d.End()
}

// Create parses bytes as a result of the given spec version.
func Create(version string, bytes []byte) (types.Result, error) {
	return convert.Create(version, bytes)
}

// CreateFromBytes parses bytes as a result of the version its cniVersion
// names (0.1.0 when absent).
func CreateFromBytes(bytes []byte) (types.Result, error) {
	version, err := DecodeVersion(bytes)
	if err != nil {
		return nil, err
	}
	return convert.Create(version, bytes)
}

// CreateFromBytesWithDefault parses bytes as a result of the version its
// cniVersion names. A result without a cniVersion, or with an empty one, is
// taken to be in defaultVersion (0.1.0 when that is empty too): this is how
// a runtime reads a plugin's output, whose version defaults to the
// configuration's.
func CreateFromBytesWithDefault(defaultVersion string, bytes []byte) (types.Result, error) {
	version, err := decodeVersion(bytes)
	if err != nil {
		return nil, fmt.Errorf("failed to unmarshal raw result: %w", err)
	}
	if version == "" {
		version = defaultVersion
	}
	if version == "" {
		version = "0.1.0"
	}
	return convert.CreateWithFallback(version, bytes, version)
}
