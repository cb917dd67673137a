using System.Diagnostics;
using System.Diagnostics.Metrics;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using QuotaPortal.Kernel;

namespace QuotaPortal.Tests.Otlp;

/// <summary>
/// The OpenTelemetry .NET SDK's own OTLP exporter (http/protobuf, Authorization: Bearer as OTEL_EXPORTER_OTLP_HEADERS sends it) emitting
/// GenAI spans into the portal on Kestrel: records with the right tokens, cost and team; a retried export writes nothing new.
/// </summary>
public sealed class OtlpExporterTests(LoopbackPortal portal) : IClassFixture<LoopbackPortal>
{
    private DateTimeOffset Start => portal.Factory.Time.GetUtcNow().AddMinutes(-2);

    /// <summary>An app's tracer provider: its resource, its ActivitySource, the SDK's OTLP exporter sending each span as it ends.</summary>
    private (TracerProvider Provider, OtlpTraceExporter Exporter, ActivitySource Source) App(string key, params (string, object)[] resource)
    {
        var source = new ActivitySource($"test.genai.{Guid.NewGuid():N}");
        var exporter = new OtlpTraceExporter(new OtlpExporterOptions
        {
            Endpoint = portal.TracesEndpoint,
            Protocol = OtlpExportProtocol.HttpProtobuf,
            Headers = $"Authorization=Bearer {key}",
        });
        var provider = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("search-assistant")
                .AddAttributes(resource.Select(r => new KeyValuePair<string, object>(r.Item1, r.Item2))))
            .AddSource(source.Name)
            .AddProcessor(new SimpleActivityExportProcessor(exporter))
            .Build();
        return (provider, exporter, source);
    }

    [Fact]
    public async Task GenAI_spans_from_the_SDK_exporter_become_priced_records_of_the_keys_team_and_a_retry_writes_nothing_new()
    {
        var (provider, exporter, source) = App(portal.SearchKey);
        using var _ = provider;
        using var spans = new SpanCounter(portal.Factory.Service<PortalMetrics>());
        Activity openai, anthropic, other;
        using (openai = GenAiActivities.Call(source, Start, TimeSpan.FromMilliseconds(1500),
            ("gen_ai.operation.name", "chat"), ("gen_ai.provider.name", "openai"), ("gen_ai.request.model", "gpt-4o"),
            ("gen_ai.response.model", "gpt-4o-2024-08-06"), ("gen_ai.usage.input_tokens", 1000), ("gen_ai.usage.output_tokens", 500),
            ("gen_ai.usage.cache_read.input_tokens", 200), ("gen_ai.agent.name", "ranker")))
        { }
        using (anthropic = GenAiActivities.Call(source, Start.AddSeconds(5), TimeSpan.FromMilliseconds(800),
            ("gen_ai.system", "anthropic"), ("gen_ai.request.model", "claude-sonnet-4-20250514"), ("gen_ai.usage.input_tokens", 2000),
            ("gen_ai.usage.output_tokens", 100), ("gen_ai.usage.cache_read_input_tokens", 1000)))
        { }
        using (other = source.StartActivity("GET /health")!) { other.SetTag("http.request.method", "GET"); }

        var records = await portal.RecordsAsync(q => q.Where(r => r.IdempotencyKey == GenAiActivities.KeyOf(openai)
            || r.IdempotencyKey == GenAiActivities.KeyOf(anthropic)).OrderBy(r => r.Timestamp));
        Assert.Equal(2, records.Count);
        var search = await portal.TeamIdAsync("search");
        var o = records[0];
        Assert.Equal((search, "openai", "gpt-4o-2024-08-06", "chat.completions"), (o.TeamId, o.Provider, o.Model, o.ApiMethod));
        Assert.Equal((1000L, 500L, 200L), (o.InputTokens, o.OutputTokens, o.CachedInputTokens));
        Assert.Equal(12_000_000L, o.CostNanos); // 800 × $5 + 200 × $2.50 + 500 × $15 per million
        Assert.Equal((1500, "ranker", true), (o.DurationMs, o.AgentId, o.Success));
        Assert.Equal(Start.AddMilliseconds(1500).UtcDateTime, o.Timestamp);
        var a = records[1];
        Assert.Equal((search, "anthropic", "claude-sonnet-4-20250514", 2000L, 1000L), (a.TeamId, a.Provider, a.Model, a.InputTokens, a.CachedInputTokens));
        Assert.Equal(4_800_000L, a.CostNanos); // 1,000 × $3 + 1,000 × $0.30 + 100 × $15 per million
        Assert.Equal("search-assistant", a.AgentId); // no gen_ai.agent.name: the resource's service.name
        Assert.Equal((2, 1, 0), (spans["ingested"], spans["ignored"], spans["rejected"]));

        // The exporter sends the same spans again (as after a lost response): accepted, nothing new written.
        Assert.Equal(ExportResult.Success, exporter.Export(new Batch<Activity>([openai, anthropic, other], 3)));
        var again = await portal.RecordsAsync(q => q.Where(r => r.IdempotencyKey == GenAiActivities.KeyOf(openai)
            || r.IdempotencyKey == GenAiActivities.KeyOf(anthropic)));
        Assert.Equal(records.Select(r => r.Id).Order(), again.Select(r => r.Id).Order());
        Assert.Equal((4, 2), (spans["ingested"], spans["ignored"]));
    }

    [Fact]
    public async Task A_failed_call_is_recorded_as_a_failure_and_a_429_as_a_rate_limit()
    {
        var (provider, _, source) = App(portal.SearchKey);
        using var _ = provider;
        Activity limited, failed;
        using (limited = GenAiActivities.Call(source, Start, TimeSpan.FromMilliseconds(90),
            ("gen_ai.provider.name", "openai"), ("gen_ai.request.model", "gpt-4o-mini"), ("error.type", "RateLimitError")))
            limited.SetStatus(ActivityStatusCode.Error, "Too Many Requests");
        using (failed = GenAiActivities.Call(source, Start, TimeSpan.FromSeconds(30),
            ("gen_ai.provider.name", "openai"), ("gen_ai.request.model", "gpt-4o-mini"), ("gen_ai.usage.input_tokens", 10)))
            failed.SetStatus(ActivityStatusCode.Error, "timed out");

        var rows = (await portal.RecordsAsync(q => q.Where(r => r.IdempotencyKey == GenAiActivities.KeyOf(limited)
            || r.IdempotencyKey == GenAiActivities.KeyOf(failed)))).ToDictionary(r => r.IdempotencyKey!);
        Assert.Equal((false, "429"), (rows[GenAiActivities.KeyOf(limited)].Success, rows[GenAiActivities.KeyOf(limited)].ErrorCode));
        Assert.Equal((false, "error", 30_000), (rows[GenAiActivities.KeyOf(failed)].Success, rows[GenAiActivities.KeyOf(failed)].ErrorCode,
            rows[GenAiActivities.KeyOf(failed)].DurationMs));
    }

    [Fact]
    public async Task An_org_wide_key_writes_the_team_the_resource_names_and_a_team_key_cannot_write_another_team()
    {
        var (gateway, _, gatewaySource) = App(portal.AllKey, ("quotaportal.team", "docs"), ("quotaportal.agent", "doc-writer"));
        var (intruder, _, intruderSource) = App(portal.SearchKey, ("quotaportal.team", "docs"));
        using var _g = gateway;
        using var _i = intruder;
        using var spans = new SpanCounter(portal.Factory.Service<PortalMetrics>());
        Activity allowed, refused;
        using (allowed = GenAiActivities.Call(gatewaySource, Start, TimeSpan.FromSeconds(1),
            ("gen_ai.provider.name", "openai"), ("gen_ai.request.model", "gpt-4o"), ("gen_ai.usage.input_tokens", 100), ("gen_ai.usage.output_tokens", 10)))
        { }
        using (refused = GenAiActivities.Call(intruderSource, Start, TimeSpan.FromSeconds(1),
            ("gen_ai.provider.name", "openai"), ("gen_ai.request.model", "gpt-4o"), ("gen_ai.usage.input_tokens", 100), ("gen_ai.usage.output_tokens", 10)))
        { }

        var written = Assert.Single(await portal.RecordsAsync(q => q.Where(r => r.IdempotencyKey == GenAiActivities.KeyOf(allowed))));
        Assert.Equal((await portal.TeamIdAsync("docs"), "doc-writer"), (written.TeamId, written.AgentId));
        Assert.Empty(await portal.RecordsAsync(q => q.Where(r => r.IdempotencyKey == GenAiActivities.KeyOf(refused))));
        Assert.Equal((1, 1), (spans["ingested"], spans["rejected"]));
    }
}

/// <summary>quotaportal_otlp_spans of one portal (its own Meter: other test classes' portals run in parallel), by outcome.</summary>
public sealed class SpanCounter : IDisposable
{
    private readonly MeterListener listener = new();
    private readonly Dictionary<string, long> counts = [];

    public SpanCounter(PortalMetrics metrics)
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == metrics.Meter && instrument.Name == "quotaportal_otlp_spans")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == "outcome")
                    lock (counts)
                        counts[(string)tag.Value!] = counts.GetValueOrDefault((string)tag.Value!) + value;
        });
        listener.Start();
    }

    public long this[string outcome] { get { lock (counts) return counts.GetValueOrDefault(outcome); } }

    public void Dispose() => listener.Dispose();
}
