package libcni

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// tracerName is the instrumentation scope of the spans libcni starts.
const tracerName = "github.com/cnirt/cni/libcni"

// WithTracerProvider makes the CNIConfig start one span per plugin run
// with a tracer of tp, as a child of the span the operation's context
// carries (if any). The span is named "CNI <command> <plugin type>", has
// the attributes cni.network, cni.plugin.type, cni.plugin.index,
// cni.container_id and cni.ifname, records the run's error, and is the
// trace context the plugin receives in TRACEPARENT. Without this option
// (or with a nil tp) libcni starts no spans; a span context in the
// operation's context still reaches the plugins.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *CNIConfig) {
		c.tracer = nil
		if tp != nil {
			c.tracer = tp.Tracer(tracerName)
		}
	}
}

// startSpan starts the span of one plugin run; end finishes it with the
// run's error. Only called when c.tracer is set.
func (c *CNIConfig) startSpan(ctx context.Context, command, network, pluginType string, index int, rt *RuntimeConf) (context.Context, func(error)) {
	attrs := []attribute.KeyValue{
		attribute.String("cni.network", network),
		attribute.String("cni.plugin.type", pluginType),
		attribute.Int("cni.plugin.index", index),
	}
	if rt != nil && rt.ContainerID != "" {
		attrs = append(attrs, attribute.String("cni.container_id", rt.ContainerID), attribute.String("cni.ifname", rt.IfName))
	}
	ctx, span := c.tracer.Start(ctx, "CNI "+command+" "+pluginType,
		trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(attrs...))
	return ctx, func(err error) {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}
}
