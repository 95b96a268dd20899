package version

import "github.com/cnirt/cni/types/create"

// ConfigDecoder reads the CNI version of a network configuration.
type ConfigDecoder struct{}

// Decode returns the "cniVersion" of the JSON configuration (or result) in
// jsonBytes; a document without one is version 0.1.0. Bytes that are not a
// JSON object give an error.
func (*ConfigDecoder) Decode(jsonBytes []byte) (string, error) {
	return create.DecodeVersion(jsonBytes)
}
