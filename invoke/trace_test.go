package invoke

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/trace"

	refinvoke "github.com/containernetworking/cni/pkg/invoke"

	"github.com/cnirt/cni/pkg/plugintest"
)

const (
	testTraceID = "0af7651916cd43dd8448eb211c80319c"
	testSpanID  = "b7ad6b7169203331"
)

// traceCtx returns a context carrying a remote span context with the given
// flags and trace state, and the given baggage (W3C text forms; "" for
// none).
func traceCtx(t testing.TB, flags trace.TraceFlags, state, bag string) context.Context {
	t.Helper()
	tid, err := trace.TraceIDFromHex(testTraceID)
	require.NoError(t, err)
	sid, err := trace.SpanIDFromHex(testSpanID)
	require.NoError(t, err)
	ts, err := trace.ParseTraceState(state)
	require.NoError(t, err)
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: flags, TraceState: ts, Remote: true})
	ctx := trace.ContextWithSpanContext(context.Background(), sc)
	return withBaggage(t, ctx, bag)
}

func withBaggage(t testing.TB, ctx context.Context, bag string) context.Context {
	t.Helper()
	if bag == "" {
		return ctx
	}
	b, err := baggage.Parse(bag)
	require.NoError(t, err)
	return baggage.ContextWithBaggage(ctx, b)
}

func TestWithTraceContext(t *testing.T) {
	t.Parallel()
	parent := "TRACEPARENT=00-" + testTraceID + "-" + testSpanID + "-01"
	stale := []string{"A=1", "TRACEPARENT=00-11111111111111111111111111111111-2222222222222222-01", "TRACESTATE=old=1", "BAGGAGE=old=1", "B=2"}
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		environ []string
		want    []string
	}{
		{"no span: untouched", context.Background(), stale, stale},
		{"baggage without span: untouched", withBaggage(t, context.Background(), "k=v"), []string{"A=1"}, []string{"A=1"}},
		{"invalid span context: untouched",
			trace.ContextWithSpanContext(context.Background(), trace.SpanContext{}), []string{"A=1"}, []string{"A=1"}},
		{"span replaces every stale variable", traceCtx(t, trace.FlagsSampled, "", ""), stale,
			[]string{"A=1", "B=2", parent}},
		{"not sampled", traceCtx(t, 0, "", ""), []string{"A=1"},
			[]string{"A=1", "TRACEPARENT=00-" + testTraceID + "-" + testSpanID + "-00"}},
		{"state and baggage", traceCtx(t, trace.FlagsSampled, "vendor=x,other=y", "user=alice;p=1"), []string{"A=1"},
			[]string{"A=1", parent, "TRACESTATE=vendor=x,other=y", "BAGGAGE=user=alice;p=1"}},
		{"empty environ stays empty but for the trace", traceCtx(t, trace.FlagsSampled, "", ""), []string{}, []string{parent}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := withTraceContext(tc.ctx, slices.Clone(tc.environ))
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestWithTraceContextNilEnvironInherits(t *testing.T) {
	t.Parallel()
	assert.Nil(t, withTraceContext(context.Background(), nil), "without a span nil still means inherit")
	got := withTraceContext(traceCtx(t, trace.FlagsSampled, "", ""), nil)
	want := slices.DeleteFunc(os.Environ(), isTraceVar)
	want = append(want, "TRACEPARENT=00-"+testTraceID+"-"+testSpanID+"-01")
	assert.Equal(t, want, got)
}

// TestArgsAsEnvDropsInheritedTraceContext checks that a runtime's own trace
// context does not reach its plugins through Args, while delegation keeps
// the environment a plugin was given.
func TestArgsAsEnvDropsInheritedTraceContext(t *testing.T) {
	t.Setenv("TRACEPARENT", "00-"+testTraceID+"-"+testSpanID+"-01")
	t.Setenv("TRACESTATE", "a=b")
	t.Setenv("BAGGAGE", "k=v")
	t.Setenv("TRACEPARENT_NOT", "kept")
	env := (&Args{Command: "ADD"}).AsEnv()
	for _, e := range env {
		assert.False(t, isTraceVar(e), "inherited %s", e)
	}
	assert.Contains(t, env, "TRACEPARENT_NOT=kept")
	assert.Contains(t, (&DelegateArgs{Command: "ADD"}).AsEnv(), "TRACEPARENT=00-"+testTraceID+"-"+testSpanID+"-01")
}

func TestIsTraceVar(t *testing.T) {
	t.Parallel()
	for entry, want := range map[string]bool{
		"TRACEPARENT=x": true, "TRACESTATE=": true, "BAGGAGE=a=b": true, "TRACEPARENT": false,
		"TRACEPARENTS=x": false, "XBAGGAGE=x": false, "PATH=/bin": false,
	} {
		assert.Equal(t, want, isTraceVar(entry), entry)
	}
}

// TestRawExecTraceContextMatchesReference runs the debug plugin through
// cnirt's RawExec and through the reference v1.3.1 RawExec with the same
// context and environment and compares the trace variables it received.
func TestRawExecTraceContextMatchesReference(t *testing.T) {
	t.Parallel()
	exe := plugintest.Exe(plugintest.Build(t, plugintest.DebugPlugin), "debug")
	for _, tc := range []struct {
		name  string
		ctx   context.Context
		extra []string
		want  map[string]string
	}{
		{"no span", context.Background(), nil, nil},
		{"no span, baggage only", withBaggage(t, context.Background(), "k=v"), nil, nil},
		{"sampled span", traceCtx(t, trace.FlagsSampled, "", ""), nil,
			map[string]string{"TRACEPARENT": "00-" + testTraceID + "-" + testSpanID + "-01"}},
		{"span with state and baggage", traceCtx(t, 0, "vendor=x", "user=alice"), nil, map[string]string{
			"TRACEPARENT": "00-" + testTraceID + "-" + testSpanID + "-00", "TRACESTATE": "vendor=x", "BAGGAGE": "user=alice"}},
		{"span over a stale variable", traceCtx(t, trace.FlagsSampled, "", ""),
			[]string{"TRACEPARENT=00-11111111111111111111111111111111-2222222222222222-01"},
			map[string]string{"TRACEPARENT": "00-" + testTraceID + "-" + testSpanID + "-01"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			record := func(run func(environ []string) error, name string) map[string]string {
				file := filepath.Join(dir, name)
				environ := append([]string{"CNI_COMMAND=VERSION", "CNIRT_DEBUG_FILE=" + file}, tc.extra...)
				if v, ok := os.LookupEnv("SYSTEMROOT"); ok {
					environ = append(environ, "SYSTEMROOT="+v)
				}
				require.NoError(t, run(environ))
				recs := plugintest.ReadDebugLog(t, file)
				require.Len(t, recs, 1)
				return recs[0].Trace
			}
			stdin := []byte(`{"cniVersion":"1.1.0"}`)
			got := record(func(environ []string) error {
				_, err := (&RawExec{}).ExecPlugin(tc.ctx, exe, stdin, environ)
				return err
			}, "cnirt")
			ref := record(func(environ []string) error {
				_, err := (&refinvoke.RawExec{}).ExecPlugin(tc.ctx, exe, stdin, environ)
				return err
			}, "reference")
			assert.Equal(t, tc.want, got, "cnirt")
			assert.Equal(t, ref, got, "cnirt and the reference")
		})
	}
}

func TestRawExecTraceContextReachesTheProcessOnlyWithSpan(t *testing.T) {
	t.Parallel()
	exe := plugintest.Exe(plugintest.Build(t, plugintest.DebugPlugin), "debug")
	file := filepath.Join(t.TempDir(), "debug.log")
	args := &Args{Command: "VERSION", Path: "/p"}
	environ := append(args.AsEnv(), "CNIRT_DEBUG_FILE="+file)
	_, err := (&RawExec{}).ExecPlugin(context.Background(), exe, []byte(`{"cniVersion":"1.1.0"}`), environ)
	require.NoError(t, err)
	_, err = (&RawExec{}).ExecPlugin(traceCtx(t, trace.FlagsSampled, "", ""), exe, []byte(`{"cniVersion":"1.1.0"}`), environ)
	require.NoError(t, err)
	recs := plugintest.ReadDebugLog(t, file)
	require.Len(t, recs, 2)
	assert.Nil(t, recs[0].Trace)
	assert.Equal(t, map[string]string{"TRACEPARENT": "00-" + testTraceID + "-" + testSpanID + "-01"}, recs[1].Trace)
	assert.True(t, strings.HasPrefix(recs[1].Env["CNI_PATH"], "/p"))
}
