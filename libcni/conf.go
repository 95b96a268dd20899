package libcni

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cnirt/cni/pkg/jsonx"
	"github.com/cnirt/cni/pkg/utils"
	"github.com/cnirt/cni/types"
	"github.com/cnirt/cni/version"
)

// MaxConfigFileSize is the largest configuration file the loaders read.
// Network configurations are a few kilobytes; anything beyond this limit is
// refused with a *ConfigError instead of being read into memory.
const MaxConfigFileSize = 8 << 20

// Prefixes of the reference library's messages, kept so that callers
// matching on them keep working.
const (
	listErrPrefix   = "error parsing configuration list: "
	pluginErrPrefix = "error parsing configuration: "
)

// NetworkPluginConfFromBytes decodes one plugin configuration object. The
// returned PluginConfig keeps pluginConfBytes as its Bytes, so keys unknown
// to this library reach the plugin untouched.
//
// The object must name its plugin in "type" (a file name, not a path); a
// "cniVersion" or "name", when present, must be a well-formed version and a
// valid network name (a version this library does not know loads, as in the
// reference; operations on it are refused). The bytes are not checked to belong to any network:
// that is the caller's business.
func NetworkPluginConfFromBytes(pluginConfBytes []byte) (*PluginConfig, error) {
	netConf := &types.PluginConf{}
	if err := json.Unmarshal(pluginConfBytes, netConf); err != nil {
		return nil, syntaxError(pluginConfBytes, pluginErrPrefix, err)
	}
	if hasFoldedKey(pluginConfBytes) {
		// Decode again from a canonical form, see canonicalJSON.
		canon, err := canonicalJSON(pluginConfBytes)
		if err != nil {
			return nil, &ConfigError{Err: fmt.Errorf(pluginErrPrefix+"%w", err)}
		}
		netConf = &types.PluginConf{}
		if err := json.Unmarshal(canon, netConf); err != nil {
			return nil, &ConfigError{Err: fmt.Errorf(pluginErrPrefix+"%w", err)}
		}
	}
	if err := checkPluginConf(netConf); err != nil {
		return nil, err
	}
	return &PluginConfig{Network: netConf, Bytes: pluginConfBytes}, nil
}

// hasFoldedKey reports whether a plugin object may hold a key that
// encoding/json folds onto a field of types.PluginConf (or of its nested
// IPAM, DNS and GCAttachment) without being spelt exactly as that field,
// such as "TYPE" or "Type". For such objects the field's value would depend
// on key order, so they are decoded from canonicalJSON, where the exactly
// spelt key wins as it does in the reference library. Any string holding a
// backslash counts, since an escape may spell such a key. False positives
// only cost time.
func hasFoldedKey(raw []byte) bool {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '"' {
			continue
		}
		start := i + 1
		escaped := false
		for i = start; i < len(raw) && raw[i] != '"'; i++ {
			if raw[i] == '\\' {
				escaped = true
				i++
			}
		}
		if i > len(raw) {
			i = len(raw)
		}
		if escaped || foldsOntoField(raw[start:i]) {
			return true
		}
	}
	return false
}

// foldsOntoField reports whether s equals a decoded field name of a plugin
// configuration under case folding but not exactly.
func foldsOntoField(s []byte) bool {
	var fields []string
	switch len(s) {
	case 3:
		fields = []string{"dns"}
	case 4:
		fields = []string{"name", "type", "ipam"}
	case 6:
		fields = []string{"domain", "search", "ifname"}
	case 7:
		fields = []string{"options"}
	case 10:
		fields = []string{"cniVersion", "prevResult"}
	case 11:
		fields = []string{"nameservers", "containerID"}
	case 12:
		fields = []string{"capabilities"}
	case 25:
		fields = []string{"cni.dev/valid-attachments"}
	}
	for _, f := range fields {
		if string(s) != f && bytes.EqualFold(s, []byte(f)) {
			return true
		}
	}
	return false
}

// canonicalJSON re-encodes a JSON document with the keys of every object
// sorted and duplicates removed (last wins), keeping numbers as written.
// Sorting puts the all-lower-case spelling of a key after its variants, so a
// struct decode of the result lets "type" win over "TYPE".
func canonicalJSON(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v interface{}
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// checkPluginConf applies the load-time rules to a decoded plugin object.
func checkPluginConf(n *types.PluginConf) *ConfigError {
	switch {
	case n.Type == "":
		return &ConfigError{Field: "type", Err: errors.New(pluginErrPrefix + "missing 'type'")}
	case n.Type == "." || n.Type == ".." || strings.ContainsAny(n.Type, `/\`+"\x00"):
		return &ConfigError{Field: "type", Err: fmt.Errorf(pluginErrPrefix+
			"invalid 'type' %q: must be the file name of a plugin, not a path", n.Type)}
	}
	if n.CNIVersion != "" {
		if err := checkVersion(n.CNIVersion); err != nil {
			return &ConfigError{Field: "cniVersion", Err: fmt.Errorf(pluginErrPrefix+"invalid cniVersion %s: %w", n.CNIVersion, err)}
		}
	}
	if n.Name != "" {
		if err := checkNetworkName(n.Name); err != nil {
			return &ConfigError{Field: "name", Err: fmt.Errorf(pluginErrPrefix+"%w", err)}
		}
	}
	return nil
}

// NetworkPluginConfsFromFiles loads the plugin configurations kept beside a
// network configuration: every ".conf" file in the directory named after the
// network inside networkConfPath, in lexical order. A missing directory
// yields no plugins and no error. The network name must be valid, so the
// directory cannot escape networkConfPath.
func NetworkPluginConfsFromFiles(networkConfPath, networkName string) ([]*PluginConfig, error) {
	if err := checkNetworkName(networkName); err != nil {
		return nil, &ConfigError{File: networkConfPath, Field: "name", Err: err}
	}
	pluginDir := filepath.Join(networkConfPath, networkName)
	files, odd, err := confFiles(pluginDir, []string{".conf"})
	if err != nil {
		return nil, fmt.Errorf("failed to read plugin config files in %s: %w", pluginDir, err)
	}
	slices.Sort(files)
	var confs []*PluginConfig
	for _, file := range files {
		data, err := readConfFileOf(file, !slices.Contains(odd, file))
		if err != nil {
			return nil, err
		}
		conf, err := NetworkPluginConfFromBytes(data)
		if err != nil {
			return nil, withFile(err, file)
		}
		confs = append(confs, conf)
	}
	return confs, nil
}

// NetworkConfFromBytes decodes a network configuration list. Bytes of the
// result is confBytes; each plugin's Bytes is its JSON object exactly as it
// appears in confBytes.
//
// The CNI version is chosen as the reference chooses it: the highest of
// "cniVersion" and the "cniVersions" entries that is not newer than the
// implemented specification, else "cniVersion" as it is. A version this
// library does not know loads; ADD, CHECK, DEL, STATUS and GC on it are
// refused before any plugin runs. A malformed version, an invalid name or
// an invalid plugin is refused with a *ConfigError naming the field. A list without "plugins" is accepted with no plugins (they may
// come from the network's plugin directory) unless loadOnlyInlinedPlugins is
// set.
func NetworkConfFromBytes(confBytes []byte) (*NetworkConfigList, error) {
	top, err := decodeList(confBytes)
	if err != nil {
		return nil, err
	}
	name, err := listName(top)
	if err != nil {
		return nil, err
	}
	return buildList(top, name, confBytes)
}

// decodeList decodes the top level of a configuration list. Keys match
// exactly (unlike a struct decode, which folds case).
func decodeList(data []byte) (map[string]json.RawMessage, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, syntaxError(data, listErrPrefix, err)
	}
	return top, nil
}

// listName returns the "name" of a decoded list, unvalidated.
func listName(top map[string]json.RawMessage) (string, error) {
	raw, ok := top["name"]
	if !ok {
		return "", &ConfigError{Field: "name", Err: errors.New(listErrPrefix + "no name")}
	}
	name, ok := rawString(raw)
	if !ok {
		return "", &ConfigError{Field: "name", Err: fmt.Errorf(listErrPrefix+"invalid name type %s", goTypeName(raw))}
	}
	return name, nil
}

// buildList turns a decoded top level into a NetworkConfigList.
func buildList(top map[string]json.RawMessage, name string, data []byte) (*NetworkConfigList, error) {
	if err := checkNetworkName(name); err != nil {
		return nil, &ConfigError{Field: "name", Err: fmt.Errorf(listErrPrefix+"%w", err)}
	}
	cniVersion, err := listVersion(top)
	if err != nil {
		return nil, err
	}
	list := &NetworkConfigList{Name: name, CNIVersion: cniVersion, Bytes: data}
	if list.DisableCheck, err = listBool(top, "disableCheck"); err != nil {
		return nil, err
	}
	if list.DisableGC, err = listBool(top, "disableGC"); err != nil {
		return nil, err
	}
	if list.LoadOnlyInlinedPlugins, err = listBool(top, "loadOnlyInlinedPlugins"); err != nil {
		return nil, err
	}

	rawPlugins, ok := top["plugins"]
	if !ok {
		if list.LoadOnlyInlinedPlugins {
			return nil, &ConfigError{Field: "plugins", Err: errors.New(listErrPrefix +
				"`loadOnlyInlinedPlugins` is true, and no 'plugins' key")}
		}
		return list, nil
	}
	if jsonKind(rawPlugins) != '[' {
		return nil, &ConfigError{Field: "plugins", Err: fmt.Errorf(listErrPrefix+"invalid 'plugins' type %s", goTypeName(rawPlugins))}
	}
	var plugins []json.RawMessage
	if err := json.Unmarshal(rawPlugins, &plugins); err != nil {
		return nil, &ConfigError{Field: "plugins", Err: fmt.Errorf(listErrPrefix+"%w", err)}
	}
	if len(plugins) == 0 {
		return nil, &ConfigError{Field: "plugins", Err: errors.New(listErrPrefix + "no plugins in list")}
	}
	list.Plugins = make([]*PluginConfig, 0, len(plugins))
	for i, raw := range plugins {
		conf, err := NetworkPluginConfFromBytes(raw)
		if err != nil {
			return nil, pluginError(i, raw, err)
		}
		list.Plugins = append(list.Plugins, conf)
	}
	return list, nil
}

// pluginError places the error of plugin i of a list at its position.
func pluginError(i int, raw json.RawMessage, err error) error {
	field := "plugins[" + strconv.Itoa(i) + "]"
	inner := err
	var ce *ConfigError
	if errors.As(err, &ce) {
		if ce.Field != "" {
			field += "." + ce.Field
		}
		inner = ce.Err
	}
	if jsonKind(raw) != '{' {
		inner = fmt.Errorf("%w (the plugin is %s, not a JSON object)", inner, jsonKindName(raw))
	}
	return &ConfigError{Field: field, Err: fmt.Errorf("failed to parse plugin config %d: %w", i, inner)}
}

// listVersion selects the list's CNI version from "cniVersion" and
// "cniVersions".
func listVersion(top map[string]json.RawMessage) (string, error) {
	var cniVersion string
	if raw, ok := top["cniVersion"]; ok {
		s, ok := rawString(raw)
		if !ok {
			return "", &ConfigError{Field: "cniVersion", Err: fmt.Errorf(listErrPrefix+"invalid cniVersion type %s", goTypeName(raw))}
		}
		cniVersion = s
	}

	rawVersions, ok := top["cniVersions"]
	if !ok {
		if cniVersion == "" {
			return "", nil
		}
		if err := checkVersion(cniVersion); err != nil {
			return "", &ConfigError{Field: "cniVersion", Err: fmt.Errorf(listErrPrefix+"invalid cniVersion %s: %w", cniVersion, err)}
		}
		return cniVersion, nil
	}

	if jsonKind(rawVersions) != '[' {
		return "", &ConfigError{Field: "cniVersions", Err: fmt.Errorf(listErrPrefix+"invalid type for cniVersions: %s", goTypeName(rawVersions))}
	}
	var entries []json.RawMessage
	if err := json.Unmarshal(rawVersions, &entries); err != nil {
		return "", &ConfigError{Field: "cniVersions", Err: fmt.Errorf(listErrPrefix+"%w", err)}
	}
	// As the reference: among the well-formed versions offered (entries
	// and cniVersion) that are not newer than the implemented spec, the
	// highest wins; when there is none, cniVersion stays as it is. A
	// version this library does not know loads, and operations on it are
	// refused later (requireKnownVersion).
	supported := version.All.SupportedVersions()
	var bestStr string
	consider := func(v string) {
		newer, err := version.GreaterThan(v, version.Current())
		if err != nil || newer {
			return
		}
		if bestStr == "" {
			bestStr = v
		} else if gt, _ := version.GreaterThan(v, bestStr); gt {
			bestStr = v
		}
	}
	for i, raw := range entries {
		field := "cniVersions[" + strconv.Itoa(i) + "]"
		v, ok := rawString(raw)
		if !ok {
			return "", &ConfigError{Field: field, Err: fmt.Errorf(listErrPrefix+"invalid type for cniVersions index %d: %s", i, goTypeName(raw))}
		}
		if _, _, _, err := version.ParseVersion(v); err != nil {
			return "", &ConfigError{Field: field, Err: fmt.Errorf(listErrPrefix+"invalid cniVersions entry %s at index %d: %w",
				v, i, &UnsupportedVersionError{Versions: []string{v}, Supported: supported, Err: err})}
		}
		consider(v)
	}
	if cniVersion != "" {
		if _, _, _, err := version.ParseVersion(cniVersion); err != nil {
			return "", &ConfigError{Field: "cniVersion", Err: fmt.Errorf(listErrPrefix+"invalid cniVersion %s: %w",
				cniVersion, &UnsupportedVersionError{Versions: []string{cniVersion}, Supported: supported, Err: err})}
		}
		consider(cniVersion)
	}
	if bestStr != "" {
		return bestStr, nil
	}
	return cniVersion, nil
}

// checkVersion refuses a malformed CNI version with an
// *UnsupportedVersionError. A well-formed version this library does not
// know is accepted, as the reference does; operations on it are refused.
func checkVersion(v string) error {
	if _, _, _, err := version.ParseVersion(v); err != nil {
		return &UnsupportedVersionError{Versions: []string{v}, Supported: version.All.SupportedVersions(), Err: err}
	}
	return nil
}

// listBool reads an optional boolean; like the reference library it also
// accepts the strings "true" and "false" in any case.
func listBool(top map[string]json.RawMessage, key string) (bool, error) {
	raw, ok := top[key]
	if !ok {
		return false, nil
	}
	switch string(bytes.TrimSpace(raw)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	s, ok := rawString(raw)
	if !ok {
		return false, &ConfigError{Field: key, Err: fmt.Errorf(listErrPrefix+"invalid type %s for %s", goTypeName(raw), key)}
	}
	s = strings.ToLower(s)
	switch s {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, &ConfigError{Field: key, Err: fmt.Errorf(listErrPrefix+"invalid value %q for %s", s, key)}
}

// checkNetworkName enforces the spec's name syntax,
// [a-zA-Z0-9][a-zA-Z0-9_.-]*, which also keeps the name usable as a file
// name. The *types.Error of utils.ValidateNetworkName (code
// ErrInvalidNetworkConfig) is reachable with errors.As.
func checkNetworkName(name string) error {
	if terr := utils.ValidateNetworkName(name); terr != nil {
		return fmt.Errorf("%w (network name %q must match [a-zA-Z0-9][a-zA-Z0-9_.-]*)", terr, name)
	}
	return nil
}

// jsonKind returns the first byte of a JSON value: '{', '[', '"', 't', 'f',
// 'n', or a digit/'-' for numbers; 0 for empty input.
func jsonKind(raw []byte) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

// goTypeName names a JSON value by the Go type encoding/json decodes it to
// in an interface{}, as the reference library's messages do.
func goTypeName(raw []byte) string {
	switch jsonKind(raw) {
	case 'n':
		return "<nil>"
	case 't', 'f':
		return "bool"
	case '"':
		return "string"
	case '{':
		return "map[string]interface {}"
	case '[':
		return "[]interface {}"
	default:
		return "float64"
	}
}

// jsonKindName names a JSON value's kind for humans.
func jsonKindName(raw []byte) string {
	switch jsonKind(raw) {
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	default:
		return "a number"
	}
}

// rawString decodes a JSON string value; ok is false when raw is not a
// string.
func rawString(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// readConfFile reads a configuration file, refusing files larger than
// MaxConfigFileSize and, without waiting for them, files that are not
// regular files (a FIFO would block the open and the read until a writer
// came; see NotRegularFileError).
func readConfFile(name string) ([]byte, error) {
	return readConfFileOf(name, false)
}

// readConfFileOf is readConfFile for a file that a directory listing
// (or a stat) has just found to be a regular file when regular is set:
// the check of its type is then left out (one fstat less). It is still
// opened without waiting, so a FIFO put in its place since reads as empty.
func readConfFileOf(name string, regular bool) ([]byte, error) {
	var (
		data []byte
		err  error
	)
	if regular {
		data, err = readFileLimit(name, MaxConfigFileSize)
	} else {
		data, err = readRegularLimit(name, MaxConfigFileSize)
	}
	if err == nil {
		return data, nil
	}
	return nil, readConfErr(name, err)
}

// readConfErr is the error of reading the configuration file name.
func readConfErr(name string, err error) error {
	if errors.Is(err, errFileTooLarge) {
		return tooLarge(name)
	}
	var nr *NotRegularFileError
	if errors.As(err, &nr) {
		return &ConfigError{File: name, Err: fmt.Errorf("error reading %s: %w", name, err)}
	}
	return fmt.Errorf("error reading %s: %w", name, err)
}

func tooLarge(name string) error {
	return &ConfigError{File: name, Err: fmt.Errorf("error reading %s: file is larger than the %d MiB limit for configuration files",
		name, MaxConfigFileSize>>20)}
}

// withFile records the file a configuration error came from.
func withFile(err error, file string) error {
	var ce *ConfigError
	if errors.As(err, &ce) && ce.File == "" {
		ce.File = file
		return err
	}
	return &ConfigError{File: file, Err: err}
}

// NetworkConfFromFile loads a network configuration list from filename,
// then, unless the list sets loadOnlyInlinedPlugins, appends the plugins
// found in the directory named after the network beside the file (see
// NetworkPluginConfsFromFiles). A list that ends up with no plugin is
// refused. Errors name the file and the field.
func NetworkConfFromFile(filename string) (*NetworkConfigList, error) {
	data, err := readConfFile(filename)
	if err != nil {
		return nil, err
	}
	top, err := decodeList(data)
	if err != nil {
		return nil, withFile(err, filename)
	}
	name, err := listName(top)
	if err != nil {
		return nil, withFile(err, filename)
	}
	return listFromFile(filename, top, name, data)
}

// listFromFile finishes loading a list file whose top level is decoded.
func listFromFile(filename string, top map[string]json.RawMessage, name string, data []byte) (*NetworkConfigList, error) {
	list, err := buildList(top, name, data)
	if err != nil {
		return nil, withFile(err, filename)
	}
	if !list.LoadOnlyInlinedPlugins {
		more, err := NetworkPluginConfsFromFiles(filepath.Dir(filename), list.Name)
		if err != nil {
			return nil, err
		}
		list.Plugins = append(list.Plugins, more...)
	}
	if len(list.Plugins) == 0 {
		return nil, &ConfigError{File: filename, Field: "plugins", Err: errors.New("no plugin configs found")}
	}
	return list, nil
}

// ConfFromBytes decodes a single plugin configuration (the legacy ".conf"
// format). It is NetworkPluginConfFromBytes under its historical name.
//
// Deprecated: single-plugin configurations are superseded by configuration
// lists; use NetworkConfFromBytes and NetworkPluginConfFromBytes.
func ConfFromBytes(bytes []byte) (*NetworkConfig, error) {
	return NetworkPluginConfFromBytes(bytes)
}

// ConfFromFile loads a single plugin configuration (the legacy ".conf"
// format) from filename.
//
// Deprecated: single-plugin configurations are superseded by configuration
// lists; use NetworkConfFromFile.
func ConfFromFile(filename string) (*NetworkConfig, error) {
	data, err := readConfFile(filename)
	if err != nil {
		return nil, err
	}
	conf, err := ConfFromBytes(data)
	if err != nil {
		return nil, withFile(err, filename)
	}
	return conf, nil
}

// ConfListFromBytes decodes a network configuration list; it is
// NetworkConfFromBytes under its historical name.
func ConfListFromBytes(bytes []byte) (*NetworkConfigList, error) {
	return NetworkConfFromBytes(bytes)
}

// ConfListFromFile loads a network configuration list from filename; it is
// NetworkConfFromFile under its historical name.
func ConfListFromFile(filename string) (*NetworkConfigList, error) {
	return NetworkConfFromFile(filename)
}

// ConfFiles lists the files of dir (not its sub-directories) whose
// extension, including the dot, is one of extensions. The result is in
// lexical order. A directory that does not exist yields nil and no error.
func ConfFiles(dir string, extensions []string) ([]string, error) {
	files, _, err := confFiles(dir, extensions)
	return files, err
}

// confFiles is ConfFiles, also returning those of the files that the
// listing does not show as regular files (symbolic links, FIFOs, ...;
// nil when there are none), whose type a read must check.
func confFiles(dir string, extensions []string) (files, odd []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, nil
		}
		return nil, nil, err
	}
	files = []string{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		if slices.Contains(extensions, filepath.Ext(e.Name())) {
			file := filepath.Join(dir, e.Name())
			files = append(files, file)
			if !e.Type().IsRegular() {
				odd = append(odd, file)
			}
		}
	}
	return files, odd, nil
}

// LoadConf returns the first single-plugin configuration (".conf" or
// ".json", in lexical order) in dir whose "name" is name. It returns a
// NoConfigsFoundError when dir holds no such file and a NotFoundError when
// none has that name. Files naming another network are skipped without
// being validated; a file whose name cannot be read makes the search fail.
//
// Deprecated: single-plugin configurations are superseded by configuration
// lists; use LoadNetworkConf.
func LoadConf(dir, name string) (*NetworkConfig, error) {
	return loadConf(nil, dir, name)
}

// loadConf is LoadConf, reading files through cache when it is not nil.
func loadConf(cache *ConfLoader, dir, name string) (*NetworkConfig, error) {
	ls := cache.list(dir)
	defer ls.close()
	return loadConfFrom(&ls, dir, name)
}

// loadConfFrom is loadConf over the listing ls of dir.
func loadConfFrom(ls *confListing, dir, name string) (*NetworkConfig, error) {
	n, err := ls.files(kindSingle)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, NoConfigsFoundError{Dir: dir}
	}
	var d jsonx.Decoder
	for i := range n {
		data, scanned, ok, err := ls.read(&d, kindSingle, i)
		if err != nil {
			return nil, err
		}
		if ok && scanned != name {
			continue
		}
		file := ls.path(kindSingle, i)
		data = ls.own(data)
		var probe struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(data, &probe); err != nil {
			return nil, withFile(syntaxError(data, pluginErrPrefix, err), file)
		}
		if probe.Name != name {
			continue
		}
		conf, err := ConfFromBytes(data)
		if err != nil {
			return nil, withFile(err, file)
		}
		return conf, nil
	}
	return nil, NotFoundError{Dir: dir, Name: name}
}

// scanName reads the top-level "name" of a configuration file without
// decoding its other members, for skipping the files of other networks
// cheaply. Keys match "name" exactly (as for a list, decoded into a map)
// or, with fold, case-insensitively (as for a single plugin, decoded into
// a struct); the last matching member wins, as with encoding/json. It
// reports ok=false unless data is one well-formed JSON object whose name
// is a string: the caller then decodes the file fully, which yields the
// error, or the absent name, exactly as before.
func scanName(d *jsonx.Decoder, data []byte, fold bool) (name string, ok bool) {
	d.Reset(data)
	if null, err := d.ObjectStart("object"); null || err != nil {
		return "", false
	}
	found := false
	for first := true; ; first = false {
		key, more, err := d.ObjectKey(first)
		if err != nil {
			return "", false
		}
		if !more {
			break
		}
		if string(key) == "name" || (fold && jsonx.FoldKey(key, "name")) {
			v, null, err := d.ReadString()
			if null || err != nil {
				return "", false
			}
			name, found = v, true
			continue
		}
		if err := d.Skip(); err != nil {
			return "", false
		}
	}
	if d.End() != nil {
		return "", false
	}
	return name, found
}

// LoadConfList is LoadNetworkConf under its historical name.
func LoadConfList(dir, name string) (*NetworkConfigList, error) {
	return LoadNetworkConf(dir, name)
}

// LoadNetworkConf returns the network called name from dir: the first
// ".conflist" file, in lexical order, whose "name" matches (with the plugins
// of its plugin directory, see NetworkConfFromFile), or else the matching
// single-plugin ".conf"/".json" file wrapped into a list of one (see
// LoadConf and ConfListFromConf). Files naming another network are skipped
// without being validated, so one broken network does not hide the others;
// a file whose name cannot be read makes the search fail.
//
// It returns a NotFoundError when no file declares the network and a
// NoConfigsFoundError when dir holds no configuration at all.
func LoadNetworkConf(dir, name string) (*NetworkConfigList, error) {
	return loadNetworkConf(nil, dir, name)
}

// loadNetworkConf is LoadNetworkConf, reading files through cache when it
// is not nil.
func loadNetworkConf(cache *ConfLoader, dir, name string) (*NetworkConfigList, error) {
	ls := cache.list(dir)
	defer ls.close()
	n, err := ls.files(kindList)
	if err != nil {
		return nil, err
	}
	var d jsonx.Decoder
	for i := range n {
		data, scanned, ok, err := ls.read(&d, kindList, i)
		if err != nil {
			return nil, err
		}
		if ok && scanned != name {
			continue
		}
		file := ls.path(kindList, i)
		data = ls.own(data)
		top, err := decodeList(data)
		if err != nil {
			return nil, withFile(err, file)
		}
		fileName, err := listName(top)
		if err != nil {
			return nil, withFile(err, file)
		}
		if fileName == name {
			return listFromFile(file, top, fileName, data)
		}
	}

	conf, err := loadConfFrom(&ls, dir, name)
	if err != nil {
		var none NoConfigsFoundError
		if n > 0 && errors.As(err, &none) {
			return nil, NotFoundError{Dir: dir, Name: name}
		}
		return nil, err
	}
	return ConfListFromConf(conf)
}

// InjectConf returns a copy of original with the top-level keys of
// newValues set (added or replaced). Values must be non-nil and
// JSON-encodable and keys non-empty. The other keys keep their JSON text;
// the result's keys are in sorted order. original is not modified.
func InjectConf(original *PluginConfig, newValues map[string]interface{}) (*PluginConfig, error) {
	if original == nil {
		return nil, errors.New("InjectConf: the plugin config is nil")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(original.Bytes, &fields); err != nil {
		return nil, fmt.Errorf("unmarshal existing network bytes: %w", err)
	}
	if fields == nil {
		fields = make(map[string]json.RawMessage, len(newValues))
	}
	keys := make([]string, 0, len(newValues))
	for k := range newValues {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		value := newValues[key]
		if key == "" {
			return nil, errors.New("keys cannot be empty")
		}
		if value == nil {
			return nil, fmt.Errorf("key '%s' value must not be nil", key)
		}
		b, err := json.Marshal(value)
		if err != nil {
			return nil, fmt.Errorf("key '%s': %w", key, err)
		}
		fields[key] = b
	}
	newBytes, err := json.Marshal(fields)
	if err != nil {
		return nil, err
	}
	return NetworkPluginConfFromBytes(newBytes)
}

// ConfListFromConf wraps a single plugin configuration into a list of one,
// named and versioned as the plugin configuration is. The plugin's Bytes in
// the result are original.Bytes (without surrounding white space).
//
// Deprecated: single-plugin configurations are superseded by configuration
// lists.
func ConfListFromConf(original *PluginConfig) (*NetworkConfigList, error) {
	if original == nil || original.Network == nil {
		return nil, errors.New("ConfListFromConf: the plugin config is nil")
	}
	plugin := bytes.TrimSpace(original.Bytes)
	if !json.Valid(plugin) {
		return nil, &ConfigError{Err: errors.New(pluginErrPrefix + "the plugin config is not valid JSON, not a JSON object")}
	}
	if jsonKind(plugin) != '{' {
		return nil, &ConfigError{Err: fmt.Errorf(pluginErrPrefix+"the plugin config is %s, not a JSON object", jsonKindName(plugin))}
	}
	name, err := json.Marshal(original.Network.Name)
	if err != nil {
		return nil, err
	}
	ver, err := json.Marshal(original.Network.CNIVersion)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 0, len(plugin)+len(name)+len(ver)+40)
	buf = append(buf, `{"cniVersion":`...)
	buf = append(buf, ver...)
	buf = append(buf, `,"name":`...)
	buf = append(buf, name...)
	buf = append(buf, `,"plugins":[`...)
	buf = append(buf, plugin...)
	buf = append(buf, "]}"...)
	return ConfListFromBytes(buf)
}
