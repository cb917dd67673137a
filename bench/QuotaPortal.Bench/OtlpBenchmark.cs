using Google.Protobuf;
using Microsoft.Data.Sqlite;
using QuotaPortal.Kernel;
using QuotaPortal.Otlp.Proto.Collector;
using QuotaPortal.Otlp.Proto.Common;
using QuotaPortal.Otlp.Proto.Resource;
using QuotaPortal.Otlp.Proto.Trace;
using QuotaPortal.Usage;

namespace QuotaPortal.Bench;

/// <summary>
/// OTLP ingestion next to the usage API in one run: the same generated calls sent (a) as JSON batches to POST /api/v1/usage and (b) as
/// GenAI spans in OTLP protobuf batches (one ResourceSpans per team, quotaportal.team) to POST /v1/traces, each on a fresh portal and
/// database, alternating per round; the median round is reported. Both runs must end with the same rows and the same total cost.
/// </summary>
public static class OtlpBenchmark
{
    public static async Task<int> RunAsync(IngestBenchmarkOptions o, TextWriter output, CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("qp-bench-otlp-");
        try
        {
            output.WriteLine($"QuotaPortal OTLP benchmark — {o.Records:N0} calls, batches of {o.BatchSize:N0}, {o.Clients} concurrent clients, {Environment.ProcessorCount} cores, load average {AnalyticsBenchmark.Load()}");
            var now = DateTime.UtcNow;
            var inputs = IngestBenchmark.Generate(o, now);
            // Encoded before any clock starts (an exporter encodes on its own machine).
            var json = inputs.Chunk(o.BatchSize).Select(b => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(b, IngestBenchmark.JsonWeb)).ToList();
            var protobuf = inputs.Chunk(o.BatchSize).Select((b, n) => Export(b, n * o.BatchSize).ToByteArray()).ToList();
            output.WriteLine($"  bodies: JSON {json.Sum(b => (long)b.Length) / o.Records} B/record, OTLP protobuf {protobuf.Sum(b => (long)b.Length) / o.Records} B/span");

            var rounds = new List<(double Usage, double Otlp)>();
            var verified = "";
            for (var round = 1; round <= o.Rounds; round++)
            {
                var usageFirst = round % 2 == 1;
                var a = await RunOneAsync(Path.Combine(dir.FullName, $"{round}-{(usageFirst ? "usage" : "otlp")}.db"), usageFirst, usageFirst ? json : protobuf, o, ct);
                var b = await RunOneAsync(Path.Combine(dir.FullName, $"{round}-{(usageFirst ? "otlp" : "usage")}.db"), !usageFirst, usageFirst ? protobuf : json, o, ct);
                var (usage, otlp) = usageFirst ? (a, b) : (b, a);
                rounds.Add((usage.PerSecond, otlp.PerSecond));
                verified = usage.Rows == o.Records && otlp.Rows == o.Records && usage.CostNanos == otlp.CostNanos
                    ? $"ok ({o.Records:N0} rows each; same total cost ${Money.FromNanos(otlp.CostNanos):N2})"
                    : $"MISMATCH usage {usage.Rows:N0} rows ${Money.FromNanos(usage.CostNanos)}, otlp {otlp.Rows:N0} rows ${Money.FromNanos(otlp.CostNanos)}";
                output.WriteLine($"  round {round}: /api/v1/usage {usage.PerSecond:N0} records/s, /v1/traces {otlp.PerSecond:N0} spans/s ({otlp.PerSecond / usage.PerSecond:P0}); {verified}");
                if (!verified.StartsWith("ok", StringComparison.Ordinal))
                    break;
            }
            var median = rounds.OrderBy(r => r.Otlp / r.Usage).ElementAt(rounds.Count / 2);
            output.WriteLine();
            output.WriteLine("| measure | value |");
            output.WriteLine("| --- | --- |");
            output.WriteLine($"| POST /api/v1/usage, JSON (median round) | {median.Usage:N0} records/s |");
            output.WriteLine($"| POST /v1/traces, OTLP protobuf (median round) | {median.Otlp:N0} spans/s |");
            output.WriteLine($"| OTLP / usage API (median of {rounds.Count}) | {median.Otlp / median.Usage:P0} |");
            output.WriteLine($"| correctness | {verified} |");
            output.WriteLine($"load average at the end: {AnalyticsBenchmark.Load()}");
            return verified.StartsWith("ok", StringComparison.Ordinal) ? 0 : 1;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { dir.Delete(recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<(double PerSecond, long Rows, long CostNanos)> RunOneAsync(string path, bool usageApi, List<byte[]> batches,
        IngestBenchmarkOptions o, CancellationToken ct)
    {
        await using var app = await BenchHost.StartAsync(path, ct);
        using var http = await IngestBenchmark.TeamsAndClientAsync(app, o, ct);
        var (endpoint, type) = usageApi ? ("/api/v1/usage", "application/json") : ("/v1/traces", "application/x-protobuf");
        // Warm-up (JIT, connections, statements) with the first batch's first record/span only, removed before counting.
        var warm = usageApi
            ? System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new[] { Warmup() }, IngestBenchmark.JsonWeb)
            : Export([Warmup()], -1).ToByteArray();
        await IngestBenchmark.PostAllAsync(http, endpoint, type, [warm], 1, ct);
        var elapsed = await IngestBenchmark.PostAllAsync(http, endpoint, type, batches, o.Clients, ct);
        await app.StopAsync(ct);
        var rows = await IngestBenchmark.ScalarAsync(path, "SELECT count(*) FROM UsageRecords WHERE AgentId <> 'warmup'", ct);
        var cost = await IngestBenchmark.ScalarAsync(path, "SELECT coalesce(sum(CostNanos), 0) FROM UsageRecords WHERE AgentId <> 'warmup'", ct);
        return (o.Records / elapsed.TotalSeconds, rows, cost);
    }

    private static UsageInput Warmup() => new()
    {
        Team = "team-00", Provider = "openai", Model = "gpt-4o", ApiMethod = "chat.completions", InputTokens = 1, OutputTokens = 1, AgentId = "warmup",
        Timestamp = DateTimeOffset.UtcNow.AddSeconds(-1), DurationMs = 1, IdempotencyKey = "warmup",
    };

    /// <summary>The calls as an instrumented app's exporter sends them: GenAI spans, one ResourceSpans per team.</summary>
    private static ExportTraceServiceRequest Export(IEnumerable<UsageInput> calls, int firstIndex)
    {
        var request = new ExportTraceServiceRequest();
        var index = firstIndex;
        foreach (var team in calls.Select(c => (Call: c, Index: index++)).GroupBy(c => c.Call.Team))
        {
            var resource = new Resource();
            resource.Attributes.Add(Attr("service.name", "bench-app"));
            resource.Attributes.Add(Attr("quotaportal.team", team.Key!));
            var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "bench" } };
            scope.Spans.Add(team.Select(c => Span(c.Call, c.Index)));
            var resourceSpans = new ResourceSpans { Resource = resource };
            resourceSpans.ScopeSpans.Add(scope);
            request.ResourceSpans.Add(resourceSpans);
        }
        return request;
    }

    private static Span Span(UsageInput c, int index)
    {
        var end = c.Timestamp!.Value;
        var traceId = new byte[16];
        BitConverter.TryWriteBytes(traceId, (long)index);
        traceId[15] = 0x42;
        var span = new Span
        {
            TraceId = ByteString.CopyFrom(traceId),
            SpanId = ByteString.CopyFrom(BitConverter.GetBytes((long)index + 1)),
            Name = $"chat {c.Model}",
            Kind = QuotaPortal.Otlp.Proto.Trace.Span.Types.SpanKind.Client,
            StartTimeUnixNano = Nanos(end.AddMilliseconds(-(c.DurationMs ?? 0))),
            EndTimeUnixNano = Nanos(end),
            Status = new Status { Code = c.Success == false ? Status.Types.StatusCode.Error : Status.Types.StatusCode.Unset },
        };
        span.Attributes.Add(Attr("gen_ai.operation.name", "chat"));
        span.Attributes.Add(Attr("gen_ai.provider.name", c.Provider!));
        span.Attributes.Add(Attr("gen_ai.request.model", c.Model!));
        span.Attributes.Add(Attr("gen_ai.usage.input_tokens", c.InputTokens ?? 0));
        span.Attributes.Add(Attr("gen_ai.usage.output_tokens", c.OutputTokens ?? 0));
        span.Attributes.Add(Attr("gen_ai.usage.cache_read.input_tokens", c.CachedInputTokens ?? 0));
        span.Attributes.Add(Attr("gen_ai.agent.name", c.AgentId!));
        return span;
    }

    private static ulong Nanos(DateTimeOffset t) => (ulong)(t - DateTimeOffset.UnixEpoch).Ticks * 100;

    private static KeyValue Attr(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static KeyValue Attr(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };
}
