package libcni

import (
	"context"
	"errors"
	"log/slog"

	"github.com/cnirt/cni/types"
)

// NewSlogHook returns an EventHook that writes one structured record per
// event to logger (slog.Default() when nil):
//
//   - a plugin run: "CNI plugin ran" at Debug, or "CNI plugin failed" at
//     Error (at Warn when the operation's context ended), with the group
//     "plugin_error" holding the plugin's own code, msg and details when it
//     printed a CNI error object;
//   - a lock wait: "CNI lock acquired" at Debug, or "CNI lock wait failed"
//     at Warn;
//   - a cache access: "CNI cache write", "CNI cache read" or "CNI cache
//     remove" at Debug, or at Error when it failed (at Warn for a read: DEL
//     goes on without the cached result).
//
// Every record has the attributes event, command, network, duration (and
// container_id, ifname and sandbox_id when set), those of its kind
// (plugin_type, plugin_index, plugin_path, exit_code, signal, stdin_bytes,
// stdout_bytes; lock; cache_file), error when the step failed, and the
// attributes the context carried (ContextWithEventAttrs). Nothing is built
// for a record the logger would drop.
func NewSlogHook(logger *slog.Logger) EventHook {
	return func(ctx context.Context, ev Event) {
		l := logger
		if l == nil {
			l = slog.Default()
		}
		level, msg := slogLevel(&ev)
		if !l.Enabled(ctx, level) {
			return
		}
		l.LogAttrs(ctx, level, msg, slogAttrs(&ev)...)
	}
}

// slogLevel returns the level and message of ev's record.
func slogLevel(ev *Event) (slog.Level, string) {
	aborted := errors.Is(ev.Err, context.Canceled) || errors.Is(ev.Err, context.DeadlineExceeded)
	switch ev.Kind {
	case EventPluginRun:
		switch {
		case ev.Err == nil:
			return slog.LevelDebug, "CNI plugin ran"
		case aborted:
			return slog.LevelWarn, "CNI plugin failed"
		}
		return slog.LevelError, "CNI plugin failed"
	case EventLockWait:
		if ev.Err == nil {
			return slog.LevelDebug, "CNI lock acquired"
		}
		return slog.LevelWarn, "CNI lock wait failed"
	case EventLocksDegraded:
		return slog.LevelWarn, "CNI locks degraded to this process"
	}
	var msg, failed string
	switch ev.Kind {
	case EventCacheWrite:
		msg, failed = "CNI cache write", "CNI cache write failed"
	case EventCacheRead:
		msg, failed = "CNI cache read", "CNI cache read failed"
	case EventCacheRemove:
		msg, failed = "CNI cache remove", "CNI cache remove failed"
	default:
		msg, failed = "CNI event", "CNI event failed"
	}
	switch {
	case ev.Err == nil:
		return slog.LevelDebug, msg
	case ev.Kind == EventCacheRead || aborted:
		return slog.LevelWarn, failed
	}
	return slog.LevelError, failed
}

// slogAttrs returns the attributes of ev's record.
func slogAttrs(ev *Event) []slog.Attr {
	// At most 7 common, 7 plugin-run and 2 error attributes.
	attrs := make([]slog.Attr, 0, 16+len(ev.Attrs))
	attrs = append(attrs,
		slog.String("event", ev.Kind.String()),
		slog.String("command", ev.Command),
		slog.String("network", ev.Network),
	)
	if ev.ContainerID != "" {
		attrs = append(attrs, slog.String("container_id", ev.ContainerID))
	}
	if ev.IfName != "" {
		attrs = append(attrs, slog.String("ifname", ev.IfName))
	}
	if ev.SandboxID != "" {
		attrs = append(attrs, slog.String("sandbox_id", ev.SandboxID))
	}
	attrs = append(attrs, slog.Duration("duration", ev.Duration))
	switch ev.Kind {
	case EventPluginRun:
		attrs = append(attrs,
			slog.String("plugin_type", ev.PluginType),
			slog.Int("plugin_index", ev.PluginIndex),
			slog.String("plugin_path", ev.PluginPath),
			slog.Int("exit_code", ev.ExitCode),
		)
		if ev.Signal != "" {
			attrs = append(attrs, slog.String("signal", ev.Signal))
		}
		attrs = append(attrs, slog.Int("stdin_bytes", ev.StdinBytes), slog.Int("stdout_bytes", ev.StdoutBytes))
	case EventLockWait:
		attrs = append(attrs, slog.String("lock", ev.Lock.String()))
	case EventLocksDegraded:
	default:
		attrs = append(attrs, slog.String("cache_file", ev.CacheFile))
	}
	if ev.Err != nil {
		attrs = append(attrs, slog.String("error", ev.Err.Error()))
		var te *types.Error
		if errors.As(ev.Err, &te) {
			attrs = append(attrs, slog.Group("plugin_error",
				slog.Uint64("code", uint64(te.Code)), slog.String("msg", te.Msg), slog.String("details", te.Details)))
		}
	}
	return append(attrs, ev.Attrs...)
}
