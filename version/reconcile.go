package version

import "fmt"

// ErrorIncompatible reports a configuration version that a plugin does not
// support.
type ErrorIncompatible struct {
	// Config is the configuration's cniVersion.
	Config string
	// Supported lists the versions the plugin supports.
	Supported []string
}

// Details names the configuration's version and the plugin's versions.
func (e *ErrorIncompatible) Details() string {
	return fmt.Sprintf("config is %q, plugin supports %q", e.Config, e.Supported)
}

// Error returns "incompatible CNI versions: " followed by Details.
func (e *ErrorIncompatible) Error() string {
	return "incompatible CNI versions: " + e.Details()
}

// Reconciler decides whether a plugin can serve a configuration version.
// The zero value is ready to use.
type Reconciler struct{}

// Check is CheckRaw with the versions announced by pluginInfo.
func (r *Reconciler) Check(configVersion string, pluginInfo PluginInfo) *ErrorIncompatible {
	var supported []string
	if pluginInfo != nil {
		supported = pluginInfo.SupportedVersions()
	}
	return r.CheckRaw(configVersion, supported)
}

// CheckRaw returns nil when configVersion is one of supportedVersions,
// compared as exact strings, and an *ErrorIncompatible otherwise.
func (*Reconciler) CheckRaw(configVersion string, supportedVersions []string) *ErrorIncompatible {
	for _, v := range supportedVersions {
		if v == configVersion {
			return nil
		}
	}
	return &ErrorIncompatible{Config: configVersion, Supported: supportedVersions}
}
