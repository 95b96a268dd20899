package libcni_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
	"go.opentelemetry.io/otel/trace/noop"

	refcni "github.com/containernetworking/cni/libcni"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/plugintest"
)

const (
	traceTestTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	traceTestSpanID  = "00f067aa0ba902b7"
)

// spanCtx returns a context carrying a sampled remote span context with
// the given trace state, and the given baggage ("" for none).
func spanCtx(t testing.TB, state, bag string) context.Context {
	t.Helper()
	tid, err := trace.TraceIDFromHex(traceTestTraceID)
	require.NoError(t, err)
	sid, err := trace.SpanIDFromHex(traceTestSpanID)
	require.NoError(t, err)
	ts, err := trace.ParseTraceState(state)
	require.NoError(t, err)
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, TraceState: ts, Remote: true}))
	if bag != "" {
		b, err := baggage.Parse(bag)
		require.NoError(t, err)
		ctx = baggage.ContextWithBaggage(ctx, b)
	}
	return ctx
}

// debugNet returns the plugin directory of the debug plugin and a 1.1.0 network of one debug plugin recording to debugFile.
func debugNet(t *testing.T, debugFile string) (string, []byte) {
	t.Helper()
	dir := plugintest.Build(t, plugintest.DebugPlugin)
	df, err := json.Marshal(debugFile)
	require.NoError(t, err)
	return dir, []byte(fmt.Sprintf(`{"cniVersion":"1.1.0","name":"tracenet","plugins":[{"type":"debug","debugFile":%s}]}`, df))
}

// TestTraceContextReachesPluginsExactlyWithSpan runs ADD, CHECK, DEL and
// STATUS with and without a span in the context, cnirt and the reference
// v1.3.1 on the same input, while the test process itself has a stale
// TRACEPARENT in its environment.
func TestTraceContextReachesPluginsExactlyWithSpan(t *testing.T) {
	stale := "00-11111111111111111111111111111111-2222222222222222-01"
	t.Setenv("TRACEPARENT", stale)
	t.Setenv("BAGGAGE", "stale=1")
	parent := "00-" + traceTestTraceID + "-" + traceTestSpanID + "-01"
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want map[string]string
		// reference is what the reference's plugins get where it differs.
		reference map[string]string
	}{
		{"no span", context.Background(), nil, map[string]string{"TRACEPARENT": stale, "BAGGAGE": "stale=1"}},
		{"span", spanCtx(t, "", ""), map[string]string{"TRACEPARENT": parent}, map[string]string{"TRACEPARENT": parent, "BAGGAGE": "stale=1"}},
		{"span, state and baggage", spanCtx(t, "congo=t61rcWkgMzE", "userId=alice,serverNode=DF%2028"),
			map[string]string{"TRACEPARENT": parent, "TRACESTATE": "congo=t61rcWkgMzE", "BAGGAGE": "userId=alice,serverNode=DF%2028"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "debug.log")
			dir, conf := debugNet(t, file)
			list, err := libcni.ConfListFromBytes(conf)
			require.NoError(t, err)
			c := libcni.NewCNIConfigWithCacheDir([]string{dir}, t.TempDir(), nil)
			rt := &libcni.RuntimeConf{ContainerID: "ctr-trace", NetNS: "/var/run/netns/t", IfName: "eth0"}
			_, err = c.AddNetworkList(tc.ctx, list, rt)
			require.NoError(t, err)
			require.NoError(t, c.CheckNetworkList(tc.ctx, list, rt))
			require.NoError(t, c.DelNetworkList(tc.ctx, list, rt))
			require.NoError(t, c.GetStatusNetworkList(tc.ctx, list))

			refFile := filepath.Join(t.TempDir(), "debug.log")
			_, refConf := debugNet(t, refFile)
			refList, err := refcni.ConfListFromBytes(refConf)
			require.NoError(t, err)
			ref := refcni.NewCNIConfigWithCacheDir([]string{dir}, t.TempDir(), nil)
			refRT := &refcni.RuntimeConf{ContainerID: "ctr-trace", NetNS: "/var/run/netns/t", IfName: "eth0"}
			_, err = ref.AddNetworkList(tc.ctx, refList, refRT)
			require.NoError(t, err)
			require.NoError(t, ref.CheckNetworkList(tc.ctx, refList, refRT))
			require.NoError(t, ref.DelNetworkList(tc.ctx, refList, refRT))
			require.NoError(t, ref.GetStatusNetworkList(tc.ctx, refList))

			recs, refRecs := plugintest.ReadDebugLog(t, file), plugintest.ReadDebugLog(t, refFile)
			require.Len(t, recs, 4)
			require.Len(t, refRecs, 4)
			wantRef := tc.want
			if tc.reference != nil {
				wantRef = tc.reference
			}
			for i := range recs {
				assert.Equal(t, refRecs[i].Command, recs[i].Command)
				assert.Equal(t, sortBaggage(tc.want), sortBaggage(recs[i].Trace), "cnirt %s", recs[i].Command)
				assert.Equal(t, sortBaggage(wantRef), sortBaggage(refRecs[i].Trace), "reference %s", refRecs[i].Command)
			}
		})
	}
}

// sortBaggage returns vars with the members of BAGGAGE sorted: the W3C
// format leaves their order open, and OpenTelemetry prints them in map
// order.
func sortBaggage(vars map[string]string) map[string]string {
	v, ok := vars["BAGGAGE"]
	if !ok {
		return vars
	}
	out := maps.Clone(vars)
	members := strings.Split(v, ",")
	slices.Sort(members)
	out["BAGGAGE"] = strings.Join(members, ",")
	return out
}

// fakeTracerProvider records the spans its tracers start. Span IDs count
// from 1; a span without a parent gets trace ID 1.
type fakeTracerProvider struct {
	embedded.TracerProvider
	mu    sync.Mutex
	spans []*fakeSpan
	scope string
}

func (p *fakeTracerProvider) Tracer(name string, _ ...trace.TracerOption) trace.Tracer {
	p.mu.Lock()
	p.scope = name
	p.mu.Unlock()
	return &fakeTracer{p: p}
}

func (p *fakeTracerProvider) recorded() []*fakeSpan {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*fakeSpan(nil), p.spans...)
}

type fakeTracer struct {
	embedded.Tracer
	p *fakeTracerProvider
}

func (tr *fakeTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	cfg := trace.NewSpanStartConfig(opts...)
	parent := trace.SpanContextFromContext(ctx)
	tr.p.mu.Lock()
	defer tr.p.mu.Unlock()
	var sid trace.SpanID
	binary.BigEndian.PutUint64(sid[:], uint64(len(tr.p.spans)+1))
	tid := parent.TraceID()
	if !parent.IsValid() {
		tid = trace.TraceID{15: 1}
	}
	s := &fakeSpan{name: name, parent: parent, kind: cfg.SpanKind(), attrs: cfg.Attributes(),
		sc: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled})}
	tr.p.spans = append(tr.p.spans, s)
	return trace.ContextWithSpan(ctx, s), s
}

type fakeSpan struct {
	noop.Span
	mu     sync.Mutex
	name   string
	sc     trace.SpanContext
	parent trace.SpanContext
	kind   trace.SpanKind
	attrs  []attribute.KeyValue
	status codes.Code
	errs   []error
	ended  bool
}

func (s *fakeSpan) SpanContext() trace.SpanContext { return s.sc }
func (s *fakeSpan) IsRecording() bool              { return true }
func (s *fakeSpan) End(...trace.SpanEndOption) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended = true
}
func (s *fakeSpan) SetStatus(c codes.Code, _ string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = c
}
func (s *fakeSpan) RecordError(err error, _ ...trace.EventOption) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs = append(s.errs, err)
}

func TestTracerProviderStartsOneSpanPerPluginRun(t *testing.T) {
	t.Parallel()
	debugFile := filepath.Join(t.TempDir(), "debug.log")
	dir, list := eventChain(t, debugFile, `,"failOn":{"CHECK":{"code":7,"msg":"bad"}}`)
	tp := &fakeTracerProvider{}
	c := libcni.NewCNIConfigWithOptions([]string{dir}, nil, libcni.WithCacheDir(t.TempDir()), libcni.WithTracerProvider(tp))
	assert.Equal(t, "github.com/cnirt/cni/libcni", tp.scope)
	ctx := spanCtx(t, "", "")
	_, err := c.AddNetworkList(ctx, list, eventRT())
	require.NoError(t, err)
	checkErr := c.CheckNetworkList(ctx, list, eventRT())
	require.Error(t, checkErr)
	_, err = c.GetVersionInfo(context.Background(), "dbg1")
	require.NoError(t, err)

	spans := tp.recorded()
	require.Len(t, spans, 7)
	recs := plugintest.ReadDebugLog(t, debugFile)
	require.Len(t, recs, 6, "VERSION has no debug file to record to")
	names := []string{"CNI ADD dbg0", "CNI ADD dbg1", "CNI ADD dbg2", "CNI CHECK dbg0", "CNI CHECK dbg1", "CNI CHECK dbg2", "CNI VERSION dbg1"}
	for i, s := range spans {
		assert.Equal(t, names[i], s.name)
		assert.True(t, s.ended, "span %d ended", i)
		assert.Equal(t, trace.SpanKindInternal, s.kind)
		if i == 6 {
			assert.False(t, s.parent.IsValid(), "GetVersionInfo ran without a span")
			assert.Equal(t, []attribute.KeyValue{attribute.String("cni.network", ""), attribute.String("cni.plugin.type", "dbg1"),
				attribute.Int("cni.plugin.index", -1)}, s.attrs)
			continue
		}
		assert.Equal(t, traceTestSpanID, s.parent.SpanID().String(), "span %d is a child of the caller's", i)
		assert.Equal(t, traceTestTraceID, s.sc.TraceID().String())
		assert.Equal(t, []attribute.KeyValue{
			attribute.String("cni.network", "evnet"), attribute.String("cni.plugin.type", fmt.Sprintf("dbg%d", i%3)),
			attribute.Int("cni.plugin.index", i%3), attribute.String("cni.container_id", "ctr-ev"), attribute.String("cni.ifname", "eth1"),
		}, s.attrs)
		assert.Equal(t, map[string]string{"TRACEPARENT": "00-" + traceTestTraceID + "-" + s.sc.SpanID().String() + "-01"}, recs[i].Trace,
			"plugin %d got its own span as parent", i)
		if i == 5 {
			assert.Equal(t, codes.Error, s.status)
			require.Len(t, s.errs, 1)
			assert.Equal(t, checkErr, s.errs[0])
		} else {
			assert.Equal(t, codes.Unset, s.status)
			assert.Empty(t, s.errs)
		}
	}
}

func TestWithTracerProviderNilStartsNoSpans(t *testing.T) {
	t.Parallel()
	tp := &fakeTracerProvider{}
	c, _, _ := newTestConfig(t, libcni.WithTracerProvider(tp), libcni.WithTracerProvider(nil))
	_, err := c.AddNetworkList(context.Background(), mustList(t, listConf("1.0.0", "pa")), testRT())
	require.NoError(t, err)
	assert.Empty(t, tp.recorded())
}
