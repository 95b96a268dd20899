// Package sandbox manages the networks of sandboxes (pods, containers) the
// way container runtimes do on top of libcni: it chooses networks from a
// configuration directory, keeps them current as the directory changes,
// attaches a sandbox to all of them in parallel with rollback on failure,
// and detaches, checks and garbage-collects from what the libcni cache
// recorded at attach time.
//
// # Choosing networks
//
// The directory's ".conf", ".conflist" and ".json" files are read in
// lexical order. A ".conflist" file, or a ".conf"/".json" file with a
// "plugins" array, is a network configuration list; other ".conf" and
// ".json" files are single plugin configurations. Files that cannot be
// used are skipped and reported as *ConfigProblem values (file, field, and
// line:column for JSON syntax and type errors); they never make the whole
// directory unusable. By default the first valid network is used;
// WithMaxNetworks takes up to N networks in file order (go-cni's
// max-conf-num) and WithNetworks takes the networks named by the caller,
// in the caller's order. WithLoopback adds a loopback network. Plugins a
// list takes from its plugin directory (<dir>/<network>/*.conf) are
// written into the list's "plugins" array when it is loaded, so that the
// configuration cached at attach time holds the whole chain. WithWatch
// watches the directory itself, not the plugin directories; Reload picks
// up their changes. It reloads on every event in the directory, so that
// a Kubernetes ConfigMap volume's "..data" link swap is seen, and keeps
// watching a directory that is removed and created again.
//
// # Interfaces and order
//
// The selected networks are numbered in order: the first gets "eth0",
// the next "net1", "net2" and so on, unless WithInterfacePrefix (prefix
// plus number, as go-cni) or WithInterfaceName says otherwise; the
// loopback network gets "lo". Attach records each attachment's number in
// its cache entry (as the capability argument OrderCapability, which no
// plugin declares, so no plugin sees it), so that Detach can remove the
// attachments in reverse order even after a restart, when only the cache
// is left.
//
// # Serialization
//
// Attach, Detach and Check hold the sandbox's libcni locks for all of its
// networks for the whole operation (libcni.CNIConfig.HoldContainer), so
// no other operation on the sandbox runs in between, in this process or
// another one sharing the cache directory, while the ADDs of one Attach
// run in parallel. Every plugin run goes through the libcni.CNIConfig the
// Manager was given. Those of Attach, Detach and Check, and the DELs GC
// runs itself for networks no longer configured, carry the sandbox's ID
// in the context (libcni.ContextWithSandboxID), so the CNIConfig's event
// hook (libcni.WithEventHook) sees their plugin runs, lock waits and cache
// accesses with Event.SandboxID set. The DELs of stale attachments that
// libcni's GCNetworkList runs inside GC, and the plugins' GC runs, concern
// no one sandbox and have SandboxID ""; their Event.ContainerID names the
// attachment's sandbox.
//
// # Failures
//
// On Linux, Attach and Check refuse a namespace path that is empty,
// relative or not a network namespace, and Detach a relative one, with an
// *InvalidNetNSError and without running a plugin. Attach records what it
// is about to set up before it runs any plugin (see IntentDirName), runs
// none when it cannot, and removes the record once the results are cached
// or rolled back; Detach and GC undo an Attach that was interrupted. The
// rollback DELs of a failed Attach, and Detach and GC once the caller's
// context has ended, are bounded by the cleanup timeout
// (WithCleanupTimeout), not cut short by that context.
package sandbox
