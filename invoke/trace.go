package invoke

import (
	"context"
	"os"
	"runtime"
	"strings"

	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// The environment variables that carry an OpenTelemetry trace context to a
// plugin, as the reference library v1.3.1 sets them (W3C trace-context
// formats; see the OpenTelemetry proposal for environment-variable
// carriers).
const (
	envTraceParent = "TRACEPARENT"
	envTraceState  = "TRACESTATE"
	envBaggage     = "BAGGAGE"
)

// traceVars are the names of the trace-context variables.
var traceVars = [...]string{envTraceParent, envTraceState, envBaggage}

// withTraceContext returns environ with the trace context of ctx: when ctx
// carries a valid span context, any trace-context variables in environ are
// replaced by TRACEPARENT and, when not empty, TRACESTATE and BAGGAGE; a
// nil environ (inherit) then becomes this process's environment with them.
// Without a valid span context environ is returned as it is, untouched.
func withTraceContext(ctx context.Context, environ []string) []string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return environ
	}
	carrier := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, carrier)
	set := make([]string, 0, len(traceVars))
	if v := carrier.Get("traceparent"); v != "" {
		set = append(set, envTraceParent+"="+v)
	}
	if v := carrier.Get("tracestate"); v != "" {
		set = append(set, envTraceState+"="+v)
	}
	if v := baggage.FromContext(ctx).String(); v != "" {
		set = append(set, envBaggage+"="+v)
	}
	if environ == nil {
		environ = os.Environ()
	}
	out := make([]string, 0, len(environ)+len(set))
	for _, entry := range environ {
		if !isTraceVar(entry) {
			out = append(out, entry)
		}
	}
	return append(out, set...)
}

// isTraceVar reports whether entry sets one of the trace-context variables
// (names compare case-insensitively on Windows, as the OS does).
func isTraceVar(entry string) bool {
	name, _, ok := strings.Cut(entry, "=")
	if !ok {
		return false
	}
	for _, v := range traceVars {
		if name == v || (runtime.GOOS == "windows" && strings.EqualFold(name, v)) {
			return true
		}
	}
	return false
}

// runtimeEnviron returns this process's environment without the
// trace-context variables: a runtime's own trace context must not reach
// its plugins as if it were the operation's.
func runtimeEnviron() []string {
	env := os.Environ()
	out := env[:0] // os.Environ returns a fresh copy
	for _, entry := range env {
		if !isTraceVar(entry) {
			out = append(out, entry)
		}
	}
	return out
}
