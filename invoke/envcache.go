package invoke

import (
	"os"
	"sync"
	"unsafe"
)

// EnvCache builds plugin environments like [Args.AsEnv] without re-scanning
// this process's environment on every run. It keeps the environment with
// the six CNI variables and the trace-context variables removed, and
// reuses that while os.Environ still returns the very same entries: they
// are compared by identity (string data and length), which costs a copy of
// the slice but no string comparison, and which notices every os.Setenv,
// os.Unsetenv and os.Clearenv (they replace or drop entries). The result
// is always equal to [Args.AsEnv]'s. The zero value is ready to use; an
// EnvCache is safe for concurrent use.
type EnvCache struct {
	mu   sync.Mutex
	src  []string // os.Environ() the base was built from
	base []string // src without the CNI and trace-context variables
}

// cniVars are the names Args sets, in the order AsEnv appends them.
var cniVars = [...]string{"CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_ARGS", "CNI_IFNAME", "CNI_PATH"}

// Environ returns the environment for a plugin run described by args, as
// args.AsEnv() would build it.
func (c *EnvCache) Environ(args *Args) []string {
	vars := args.cniEntries()
	base := c.current()
	out := make([]string, len(base), len(base)+len(vars))
	copy(out, base)
	return append(out, vars[:]...)
}

// current returns the base environment, rebuilding it when os.Environ
// changed. The returned slice must not be modified.
func (c *EnvCache) current() []string {
	env := os.Environ()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.src != nil && sameEntries(env, c.src) {
		return c.base
	}
	base := make([]string, 0, len(env))
	for _, entry := range env {
		if !isTraceVar(entry) && !envOverridden(entry, cniVars[:]) {
			base = append(base, entry)
		}
	}
	c.src, c.base = env, base
	return base
}

// sameEntries reports whether a and b hold the same strings by identity.
func sameEntries(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) || unsafe.StringData(a[i]) != unsafe.StringData(b[i]) {
			return false
		}
	}
	return true
}
