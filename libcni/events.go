package libcni

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/cnirt/cni/internal/runreport"
	"github.com/cnirt/cni/invoke"
)

// EventKind says what an Event describes.
type EventKind uint8

// The kinds of Event.
const (
	// EventPluginRun is one run of one plugin executable.
	EventPluginRun EventKind = iota + 1
	// EventLockWait is the wait for one lock (see LockKind).
	EventLockWait
	// EventCacheWrite is the write of an attachment's cache entry (ADD).
	EventCacheWrite
	// EventCacheRead is the read of an attachment's cache entry (CHECK,
	// DEL, the GetNetwork*Cached* methods, WithRejectDuplicateAdd). The
	// listing of all entries (GetCachedAttachments, and GC looking for
	// stale attachments) is not reported.
	EventCacheRead
	// EventCacheRemove is the removal of an attachment's cache entry (DEL).
	// A removal that failed after the DEL's plugins succeeded does not
	// fail the DEL (as in the reference library); its Err, a *CacheError,
	// is only reported here, and a later DEL or GC removes the entry.
	EventCacheRemove
	// EventLocksDegraded reports an operation that runs without
	// cross-process locks because the lock files of its cache directory
	// cannot be opened or created (read-only or full file system, ...):
	// its locks then exclude only the operations of the same CNIConfig.
	// Err is a *LockSetupError. It comes before the operation's lock
	// waits; the lock files are tried again once no operation of the
	// CNIConfig uses the degraded locks.
	EventLocksDegraded
)

// String returns "plugin-run", "lock-wait", "cache-write", "cache-read",
// "cache-remove" or "locks-degraded".
func (k EventKind) String() string {
	switch k {
	case EventPluginRun:
		return "plugin-run"
	case EventLockWait:
		return "lock-wait"
	case EventCacheWrite:
		return "cache-write"
	case EventCacheRead:
		return "cache-read"
	case EventCacheRemove:
		return "cache-remove"
	case EventLocksDegraded:
		return "locks-degraded"
	}
	return "unknown"
}

// LockKind says which lock an EventLockWait waited for.
type LockKind uint8

// The locks libcni takes (see WithSerialization).
const (
	// LockNetwork is the network's lock taken shared by ADD, CHECK and DEL.
	LockNetwork LockKind = iota + 1
	// LockContainer is the container's lock taken exclusively by ADD,
	// CHECK and DEL (and by the DELs of a GC).
	LockContainer
	// LockNetworkGC is the network's lock taken exclusively by GC.
	LockNetworkGC
)

// String returns "network", "container" or "network-gc".
func (k LockKind) String() string {
	switch k {
	case LockNetwork:
		return "network"
	case LockContainer:
		return "container"
	case LockNetworkGC:
		return "network-gc"
	}
	return "none"
}

// Event describes one step of an operation: a plugin run, a lock wait or
// a cache access. It is handed by value to the EventHook set with
// WithEventHook, once per step, when the step is over. The fields of the
// first group are set for every kind; the others only for the kinds they
// name, and are zero otherwise.
type Event struct {
	// Kind says what the event describes.
	Kind EventKind
	// Command is the CNI command of the operation the step belongs to:
	// "ADD", "CHECK", "DEL", "STATUS", "GC" or "VERSION". For a cache read
	// outside an operation (GetNetworkListCachedResult and the like), and
	// for the lock waits of HoldContainer, it is "".
	Command string
	// Network is the network's name ("" for GetVersionInfo).
	Network string
	// ContainerID and IfName name the attachment, when the step concerns
	// one (STATUS, GC and VERSION runs do not; neither does a GC's network
	// lock).
	ContainerID string
	IfName      string
	// SandboxID and Attrs are what the operation's context carried (see
	// ContextWithSandboxID and ContextWithEventAttrs).
	SandboxID string
	Attrs     []slog.Attr
	// Start is when the step began and Duration how long it took.
	Start    time.Time
	Duration time.Duration
	// Err is the step's error, or nil. For a plugin run it is the error the
	// operation returns for it (a *PluginError).
	Err error

	// PluginType is the plugin's type (EventPluginRun).
	PluginType string
	// PluginIndex is the plugin's position in the network's plugin list,
	// counting from 0 in ADD order (EventPluginRun). It is -1 for a VERSION
	// run of GetVersionInfo, which concerns no list.
	PluginIndex int
	// PluginPath is the executable that ran, or "" when it was not found
	// (EventPluginRun).
	PluginPath string
	// ExitCode is the plugin process's exit status, or -1 when it is not
	// known: the process was ended by a signal or never started, or it was
	// run by an invoke.Exec other than invoke.RawExec that failed
	// (EventPluginRun). A successful run reports 0.
	ExitCode int
	// Signal names the signal that ended the plugin process, or is ""
	// (EventPluginRun).
	Signal string
	// StdinBytes and StdoutBytes are how many bytes the plugin was given
	// on stdin and wrote to stdout (EventPluginRun). StdinBytes is 0 when
	// the plugin did not run (not found, bad configuration); StdoutBytes
	// is -1 when not known: the plugin did not run or start, or an
	// invoke.Exec other than invoke.RawExec failed (its error does not
	// say).
	StdinBytes  int
	StdoutBytes int

	// Lock is the lock waited for (EventLockWait).
	Lock LockKind

	// CacheFile is the path of the cache entry (the EventCache kinds).
	CacheFile string
}

// EventHook is told about every step of the operations of a CNIConfig; see
// WithEventHook. It runs synchronously on the goroutine of the operation
// (usually while the operation holds its locks), so it should return quickly;
// ctx is the operation's context. Operations run in parallel call it
// concurrently (pkg/sandbox attaches to several networks at once), so it
// must be safe for concurrent use. It must not run operations that need
// the locks the reporting operation holds (the same container, or a GC of
// the same network): those would wait for it. A panic in the hook goes up
// to the operation's caller after the operation's locks are released.
type EventHook func(ctx context.Context, ev Event)

// WithEventHook makes the CNIConfig call hook once for every plugin run,
// every lock wait and every cache write, read and removal, after the step,
// synchronously and in the order the steps happen. Several WithEventHook
// options add hooks, called in order. Without a hook, operations do none
// of the timing or bookkeeping the events need.
func WithEventHook(hook EventHook) Option {
	return func(c *CNIConfig) {
		if hook == nil {
			return
		}
		if prev := c.hook; prev != nil {
			c.hook = func(ctx context.Context, ev Event) {
				prev(ctx, ev)
				hook(ctx, ev)
			}
			return
		}
		c.hook = hook
	}
}

// eventLabels is what ContextWithSandboxID and ContextWithEventAttrs put
// into a context.
type eventLabels struct {
	sandboxID string
	attrs     []slog.Attr
}

type eventLabelsKey struct{}

func labelsFrom(ctx context.Context) eventLabels {
	l, _ := ctx.Value(eventLabelsKey{}).(eventLabels)
	return l
}

// ContextWithSandboxID returns a copy of ctx whose operations' events carry
// id in Event.SandboxID. A sandbox manager sets it so that a hook can tell
// the steps of one pod sandbox from those of another.
func ContextWithSandboxID(ctx context.Context, id string) context.Context {
	l := labelsFrom(ctx)
	l.sandboxID = id
	return context.WithValue(ctx, eventLabelsKey{}, l)
}

// ContextWithEventAttrs returns a copy of ctx whose operations' events carry
// attrs, after those ctx already carries, in Event.Attrs. The slog hook adds
// them to every record.
func ContextWithEventAttrs(ctx context.Context, attrs ...slog.Attr) context.Context {
	l := labelsFrom(ctx)
	l.attrs = append(l.attrs[:len(l.attrs):len(l.attrs)], attrs...)
	return context.WithValue(ctx, eventLabelsKey{}, l)
}

// stepStart returns the start time of a step, or the zero time when no hook
// is set (nothing is timed then).
func (c *CNIConfig) stepStart() time.Time {
	if c.hook == nil {
		return time.Time{}
	}
	return time.Now()
}

// emit completes ev with the context's labels and the duration since
// ev.Start and hands it to the hook.
func (c *CNIConfig) emit(ctx context.Context, ev *Event) {
	l := labelsFrom(ctx)
	// Clipped, so that a hook appending to Attrs cannot write into the
	// context's backing array.
	ev.SandboxID, ev.Attrs = l.sandboxID, slices.Clip(l.attrs)
	ev.Duration = time.Since(ev.Start)
	c.hook(ctx, *ev)
}

// lockWaited reports a lock wait that began at start.
func (c *CNIConfig) lockWaited(ctx context.Context, kind LockKind, command, network, containerID string, start time.Time, err error) {
	if c.hook == nil {
		return
	}
	c.emit(ctx, &Event{Kind: EventLockWait, Command: command, Network: network, ContainerID: containerID,
		Start: start, Err: err, Lock: kind})
}

// cacheAccessed reports a cache access that began at start.
func (c *CNIConfig) cacheAccessed(ctx context.Context, kind EventKind, command, network string, rt *RuntimeConf, start time.Time, err error) {
	if c.hook == nil {
		return
	}
	c.emit(ctx, &Event{Kind: kind, Command: command, Network: network, ContainerID: rt.ContainerID, IfName: rt.IfName,
		Start: start, Err: err, CacheFile: cacheFile(c.cacheDirFor(rt), network, rt)})
}

// runObserver collects what an EventPluginRun reports about one run.
type runObserver struct {
	ev     Event
	report runreport.Report
	io     ioCount
	wrap   countingExec // allocated with the observer
}

// ioCount is what countingExec saw of a run.
type ioCount struct {
	stdin, stdout int
}

// newRunObserver starts the event of a run, or returns nil when no hook is
// set. ctx is replaced by one through which invoke.RawExec reports the
// process's end.
func (c *CNIConfig) newRunObserver(ctx *context.Context, command, network, pluginType string, index int, rt *RuntimeConf) *runObserver {
	if c.hook == nil {
		return nil
	}
	o := &runObserver{ev: Event{Kind: EventPluginRun, Command: command, Network: network, PluginType: pluginType,
		PluginIndex: index, ExitCode: -1, StdoutBytes: -1, Start: time.Now()}}
	if rt != nil {
		o.ev.ContainerID, o.ev.IfName = rt.ContainerID, rt.IfName
	}
	o.report.ExitCode = -1
	*ctx = runreport.With(*ctx, &o.report)
	return o
}

// exec returns the Exec to run the plugin with: exec itself, wrapped so
// that the sizes of its input and output are seen.
func (o *runObserver) exec(exec invoke.Exec) invoke.Exec {
	o.wrap = countingExec{Exec: exec, n: &o.io}
	return &o.wrap
}

// countingExec records how many bytes ExecPlugin was given and, when it
// succeeded, returned.
type countingExec struct {
	invoke.Exec
	n *ioCount
}

func (e *countingExec) ExecPlugin(ctx context.Context, pluginPath string, stdin []byte, environ []string) ([]byte, error) {
	e.n.stdin = len(stdin)
	out, err := e.Exec.ExecPlugin(ctx, pluginPath, stdin, environ)
	if err == nil {
		e.n.stdout = len(out)
	}
	return out, err
}

// done completes the event with the run's outcome and emits it. path is
// the executable, "" when it was not found.
func (o *runObserver) done(ctx context.Context, c *CNIConfig, path string, err error) {
	ev := &o.ev
	ev.PluginPath, ev.StdinBytes, ev.Err = path, o.io.stdin, err
	switch {
	case o.report.Started:
		ev.ExitCode, ev.Signal, ev.StdoutBytes = o.report.ExitCode, o.report.Signal, o.report.StdoutBytes
	case err == nil:
		ev.ExitCode, ev.StdoutBytes = 0, o.io.stdout
	default:
		var ee *invoke.ExitError
		if errors.As(err, &ee) {
			ev.ExitCode, ev.Signal = ee.ExitCode, ee.Signal
		}
	}
	c.emit(ctx, ev)
}
