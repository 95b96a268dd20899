package libcni

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/cnirt/cni/libcni/internal/rawjson"
)

// Keys libcni sets in the configuration a plugin receives on stdin.
const (
	keyName             = "name"
	keyCNIVersion       = "cniVersion"
	keyPrevResult       = "prevResult"
	keyRuntimeConfig    = "runtimeConfig"
	keyValidAttachments = "cni.dev/valid-attachments"
	// keyAttachments is the name an early text of the 1.1.0 specification
	// used; the reference library sends both, and so does libcni.
	keyAttachments = "cni.dev/attachments"
)

// request describes what goes into one plugin's stdin besides the plugin's
// own configuration.
type request struct {
	network    string
	cniVersion string
	// prevResult is the JSON encoding of the result to pass as
	// prevResult, or nil for none.
	prevResult []byte
	// capabilityArgs, when not nil, is filtered by the plugin's declared
	// capabilities into runtimeConfig.
	capabilityArgs map[string]interface{}
	// extra members (GC's valid attachments) are set as given.
	extra []rawjson.Member
}

// buildRequest derives the configuration a plugin receives on stdin from
// the plugin's configuration bytes, as the CNI specification describes:
// "name" and "cniVersion" come from the network, "prevResult" is set when
// there is one, and "runtimeConfig" holds exactly the capability arguments
// whose capability the plugin declares true (the plugin's own
// runtimeConfig is left alone when none applies). Every other byte of the
// plugin's configuration is passed through unchanged.
func buildRequest(p *PluginConfig, req *request) ([]byte, error) {
	var members [5]rawjson.Member
	set := members[:0]

	set = append(set,
		rawjson.Member{Key: keyName, Value: quote(req.network)},
		rawjson.Member{Key: keyCNIVersion, Value: quote(req.cniVersion)},
	)
	if req.prevResult != nil {
		set = append(set, rawjson.Member{Key: keyPrevResult, Value: req.prevResult})
	}
	if rc, err := runtimeConfig(p, req.capabilityArgs); err != nil {
		return nil, err
	} else if rc != nil {
		set = append(set, rawjson.Member{Key: keyRuntimeConfig, Value: rc})
	}
	set = append(set, req.extra...)

	out, err := rawjson.Splice(p.Bytes, set...)
	if err != nil {
		return nil, fmt.Errorf("building the configuration of plugin type=%q: %w", p.Network.Type, err)
	}
	return out, nil
}

// runtimeConfig returns the JSON object of the capability arguments the
// plugin declares, or nil when there are none.
func runtimeConfig(p *PluginConfig, capArgs map[string]interface{}) ([]byte, error) {
	if len(capArgs) == 0 || len(p.Network.Capabilities) == 0 {
		return nil, nil
	}
	var keys []string
	for capability, enabled := range p.Network.Capabilities {
		if !enabled {
			continue
		}
		if _, ok := capArgs[capability]; ok {
			keys = append(keys, capability)
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	sort.Strings(keys)
	out := []byte{'{'}
	for i, k := range keys {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, quote(k)...)
		out = append(out, ':')
		v, err := json.Marshal(capArgs[k])
		if err != nil {
			return nil, fmt.Errorf("encoding capability argument %q for plugin type=%q: %w", k, p.Network.Type, err)
		}
		out = append(out, v...)
	}
	return append(out, '}'), nil
}

// quote returns s as a JSON string.
func quote(s string) []byte {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f || c == '<' || c == '>' || c == '&' {
			plain = false
			break
		}
	}
	if plain {
		out := make([]byte, 0, len(s)+2)
		out = append(out, '"')
		out = append(out, s...)
		return append(out, '"')
	}
	b, _ := json.Marshal(s) // a string always marshals
	return b
}
