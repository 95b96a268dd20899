package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cnirt/cni/libcni"
)

// configExtensions are the file extensions read from the configuration
// directory.
func configExtensions() []string { return []string{".conf", ".conflist", ".json"} }

// LoopbackNetworkName is the name of the loopback network added by
// WithLoopback.
const LoopbackNetworkName = "cni-loopback"

// LoopbackIfName is the interface name of the loopback network.
const LoopbackIfName = "lo"

// Network is one network a sandbox is attached to.
type Network struct {
	// Name is the network's name.
	Name string
	// File is the configuration file it was loaded from; "" for the
	// loopback network.
	File string
	// IfName is the interface the network's attachment gets in the
	// sandbox.
	IfName string
	// Loopback is set for the network added by WithLoopback.
	Loopback bool
	// Config is the loaded configuration.
	Config *libcni.NetworkConfigList
}

// ConfigProblem reports a configuration file that was skipped. Err is the
// reason, typically a *libcni.ConfigError; errors.As reaches it.
type ConfigProblem struct {
	// File is the configuration file.
	File string
	// Field is the JSON path of the offending field ("name",
	// "plugins[1].type"), or "" when the file as a whole is at fault.
	Field string
	// Line and Column locate a JSON syntax or type error (counting from
	// 1); zero when the reason has no position.
	Line, Column int
	// Err is the reason.
	Err error
}

// Error returns "file:line:column: field: reason", leaving out the parts
// that are unknown.
func (p *ConfigProblem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", p.Line, p.Column)
	}
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	var ce *libcni.ConfigError
	if errors.As(p.Err, &ce) && ce.Err != nil {
		// The ConfigError repeats the file and field; print its reason.
		b.WriteString(ce.Err.Error())
	} else if p.Err != nil {
		b.WriteString(p.Err.Error())
	}
	return b.String()
}

// Unwrap returns the reason.
func (p *ConfigProblem) Unwrap() error { return p.Err }

// NetworkSet is one immutable view of the configuration directory: the
// networks selected for attaching and the files that were skipped. A
// reload builds a new NetworkSet and replaces the old one in one step;
// operations keep the set they started with.
type NetworkSet struct {
	// Generation counts the loads of the Manager, from 1.
	Generation uint64
	// LoadedAt is when the directory was read.
	LoadedAt time.Time
	// Networks are the selected networks in attach order (the loopback
	// network first when enabled).
	Networks []*Network
	// Valid are all the valid networks of the directory, in file order,
	// selected or not.
	Valid []*Network
	// Problems are the skipped files, in file order.
	Problems []*ConfigProblem
	// Missing names the networks asked for by WithNetworks that no valid
	// file declares.
	Missing []string
}

// Network returns the selected network called name, or nil.
func (s *NetworkSet) Network(name string) *Network {
	for _, n := range s.Networks {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// loadDir reads dir into a NetworkSet (without generation).
func loadDir(o *options) (*NetworkSet, error) {
	files, err := libcni.ConfFiles(o.confDir, configExtensions())
	if err != nil {
		return nil, fmt.Errorf("reading configuration directory %s: %w", o.confDir, err)
	}
	slices.Sort(files)
	set := &NetworkSet{LoadedAt: time.Now()}
	seen := map[string]string{}
	for _, file := range files {
		list, err := loadFile(file)
		if err != nil {
			set.Problems = append(set.Problems, problemFor(file, err))
			continue
		}
		if prev, dup := seen[list.Name]; dup {
			set.Problems = append(set.Problems, &ConfigProblem{File: file, Field: "name",
				Err: fmt.Errorf("network %q is already defined by %s", list.Name, prev)})
			continue
		}
		seen[list.Name] = file
		set.Valid = append(set.Valid, &Network{Name: list.Name, File: file, Config: list})
	}
	var chosen []*Network
	if len(o.names) > 0 {
		for _, name := range o.names {
			i := slices.IndexFunc(set.Valid, func(n *Network) bool { return n.Name == name })
			if i < 0 {
				set.Missing = append(set.Missing, name)
				continue
			}
			chosen = append(chosen, set.Valid[i])
		}
	} else {
		chosen = set.Valid[:min(len(set.Valid), o.maxNetworks)]
	}
	if o.loopback && len(chosen) > 0 {
		lo, err := loopbackNetwork()
		if err != nil {
			return nil, err
		}
		set.Networks = append(set.Networks, lo)
	}
	for i, n := range chosen {
		sel := *n
		sel.IfName = o.ifName(n.Name, i)
		set.Networks = append(set.Networks, &sel)
	}
	return set, nil
}

// loadFile loads one configuration file as a network configuration list.
func loadFile(file string) (*libcni.NetworkConfigList, error) {
	if filepath.Ext(file) == ".conflist" || hasPlugins(file) {
		list, err := libcni.ConfListFromFile(file)
		if err != nil {
			return nil, err
		}
		return inlinePlugins(file, list)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, &libcni.ConfigError{File: file, Err: err}
	}
	list, err := singleToList(data)
	if err != nil {
		var ce *libcni.ConfigError
		if errors.As(err, &ce) && ce.File == "" {
			ce.File = file
			return nil, ce
		}
		return nil, &libcni.ConfigError{File: file, Err: err}
	}
	return list, nil
}

// singleToList loads a single plugin configuration as a network
// configuration list of one plugin, named and versioned as the plugin.
func singleToList(data []byte) (*libcni.NetworkConfigList, error) {
	conf, err := libcni.NetworkPluginConfFromBytes(data)
	if err != nil {
		return nil, err
	}
	if conf.Network.Type == "" {
		return nil, &libcni.ConfigError{Field: "type", Err: errors.New("network type not found")}
	}
	top, err := json.Marshal(struct {
		CNIVersion string            `json:"cniVersion"`
		Name       string            `json:"name"`
		Plugins    []json.RawMessage `json:"plugins"`
	}{conf.Network.CNIVersion, conf.Network.Name, []json.RawMessage{bytes.TrimSpace(conf.Bytes)}})
	if err != nil {
		return nil, err
	}
	return libcni.NetworkConfFromBytes(top)
}

// inlinePlugins returns list with the plugins libcni added from the
// network's plugin directory (<dir>/<name>/*.conf) written into its
// "plugins" array, and loadOnlyInlinedPlugins set, so that the bytes the
// cache records at ADD time hold the whole chain: Detach then runs every
// plugin's DEL even after the plugin directory changed. A list whose
// plugins are all inline is returned as it is.
func inlinePlugins(file string, list *libcni.NetworkConfigList) (*libcni.NetworkConfigList, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(list.Bytes, &top); err != nil {
		return nil, &libcni.ConfigError{File: file, Err: err}
	}
	var inline []json.RawMessage
	if raw, ok := top["plugins"]; ok {
		if err := json.Unmarshal(raw, &inline); err != nil {
			return nil, &libcni.ConfigError{File: file, Field: "plugins", Err: err}
		}
	}
	if len(inline) == len(list.Plugins) {
		return list, nil
	}
	all := make([]json.RawMessage, len(list.Plugins))
	for i, p := range list.Plugins {
		all[i] = bytes.TrimSpace(p.Bytes)
	}
	var err error
	if top["plugins"], err = json.Marshal(all); err != nil {
		return nil, &libcni.ConfigError{File: file, Field: "plugins", Err: err}
	}
	top["loadOnlyInlinedPlugins"] = json.RawMessage("true")
	data, err := json.Marshal(top)
	if err != nil {
		return nil, &libcni.ConfigError{File: file, Err: err}
	}
	full, err := libcni.NetworkConfFromBytes(data)
	if err != nil {
		return nil, &libcni.ConfigError{File: file, Err: err}
	}
	return full, nil
}

// hasPlugins reports whether file is a JSON object with a "plugins" key,
// that is, a configuration list whatever its extension.
func hasPlugins(file string) bool {
	data, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return false
	}
	_, ok := top["plugins"]
	return ok
}

// problemFor describes why file was skipped.
func problemFor(file string, err error) *ConfigProblem {
	p := &ConfigProblem{File: file, Err: err}
	var ce *libcni.ConfigError
	if errors.As(err, &ce) {
		p.Field = ce.Field
		if ce.File != "" {
			p.File = ce.File
		}
		if ce.Line > 0 {
			// libcni located the syntax error already.
			p.Line, p.Column = ce.Line, ce.Column
			return p
		}
	}
	offset := int64(-1)
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		offset = se.Offset
	case errors.As(err, &te):
		offset = te.Offset
		if p.Field == "" && te.Field != "" {
			p.Field = te.Field
		}
	}
	if offset >= 0 {
		if data, rerr := os.ReadFile(p.File); rerr == nil {
			p.Line, p.Column = position(data, offset)
		}
	}
	return p
}

// position converts a byte offset of data into a 1-based line and column
// (the column counts bytes). encoding/json reports the offset just past
// the byte at fault, so the position is that of the offending byte.
func position(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	at := int(offset)
	if at > 0 {
		at--
	}
	before := data[:at]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = at - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// loopbackNetwork is the loopback network of WithLoopback.
func loopbackNetwork() (*Network, error) {
	list, err := libcni.ConfListFromBytes([]byte(`{"cniVersion":"1.0.0","name":"` + LoopbackNetworkName + `","plugins":[{"type":"loopback"}]}`))
	if err != nil {
		return nil, fmt.Errorf("building the loopback network: %w", err)
	}
	return &Network{Name: LoopbackNetworkName, IfName: LoopbackIfName, Loopback: true, Config: list}, nil
}

// ifName returns the interface name of the i-th selected network (not
// counting loopback).
func (o *options) ifName(network string, i int) string {
	if n, ok := o.ifNames[network]; ok {
		return n
	}
	if o.ifPrefix != "" {
		return o.ifPrefix + strconv.Itoa(i)
	}
	if i == 0 {
		return "eth0"
	}
	return "net" + strconv.Itoa(i)
}
