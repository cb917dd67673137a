using Google.Protobuf;
using QuotaPortal.Otlp.Proto.Collector;
using QuotaPortal.Otlp.Proto.Common;
using QuotaPortal.Otlp.Proto.Resource;
using QuotaPortal.Otlp.Proto.Trace;

namespace QuotaPortal.Tests.Otlp;

/// <summary>OTLP messages built with the portal's compiled .proto types (what an exporter would send), for the tests that need exact bytes.</summary>
internal static class OtlpRequests
{
    public static KeyValue Attr(string key, object value) => new()
    {
        Key = key,
        Value = value switch
        {
            string s => new AnyValue { StringValue = s },
            int i => new AnyValue { IntValue = i },
            long l => new AnyValue { IntValue = l },
            double d => new AnyValue { DoubleValue = d },
            bool b => new AnyValue { BoolValue = b },
            _ => throw new ArgumentException(value.GetType().Name),
        },
    };

    public static Span Span(DateTimeOffset end, TimeSpan duration, params (string Key, object Value)[] attributes)
    {
        var span = new Span
        {
            TraceId = ByteString.CopyFrom(Guid.NewGuid().ToByteArray()),
            SpanId = ByteString.CopyFrom(BitConverter.GetBytes(Random.Shared.NextInt64())),
            Name = "chat",
            Kind = QuotaPortal.Otlp.Proto.Trace.Span.Types.SpanKind.Client,
            StartTimeUnixNano = Nanos(end - duration),
            EndTimeUnixNano = Nanos(end),
        };
        span.Attributes.Add(attributes.Select(a => Attr(a.Key, a.Value)));
        return span;
    }

    public static ulong Nanos(DateTimeOffset t) => (ulong)(t - DateTimeOffset.UnixEpoch).Ticks * 100;

    public static ExportTraceServiceRequest Request(IEnumerable<Span> spans, params (string Key, object Value)[] resource)
    {
        var resourceSpans = new ResourceSpans { Resource = new Resource() };
        resourceSpans.Resource.Attributes.Add(resource.Select(a => Attr(a.Key, a.Value)));
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "test" } };
        scope.Spans.Add(spans);
        resourceSpans.ScopeSpans.Add(scope);
        var request = new ExportTraceServiceRequest();
        request.ResourceSpans.Add(resourceSpans);
        return request;
    }

    public static string KeyOf(Span span) =>
        $"otlp:{Convert.ToHexStringLower(span.TraceId.Span)}:{Convert.ToHexStringLower(span.SpanId.Span)}";

    public static (string, object)[] Gpt4o(long input = 100, long output = 10) =>
        [("gen_ai.provider.name", "openai"), ("gen_ai.request.model", "gpt-4o"), ("gen_ai.usage.input_tokens", input), ("gen_ai.usage.output_tokens", output)];
}
