using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace QuotaPortal.Kernel;

/// <summary>
/// The portal's one Meter, "QuotaPortal": the counters and histograms that features record into, and the meter Operations hangs its
/// observable gauges (budget usage, open alerts, outbox backlog) on. It sits in the kernel because Usage, Alerts and Notifications
/// record into it while Operations reads from all of them. Names are the Prometheus names (the exporter adds `_total` to counters and
/// `_seconds` to the histograms with unit "s"); docs/grafana/quotaportal-dashboard.json queries them.
/// </summary>
public sealed class PortalMetrics
{
    public const string MeterName = "QuotaPortal";

    private static readonly InstrumentAdvice<double> FastSeconds = new()
    {
        HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    };
    private static readonly InstrumentAdvice<double> SlowSeconds = new()
    {
        HistogramBucketBoundaries = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120],
    };

    private readonly Counter<double> cost;
    private readonly Counter<long> tokens;
    private readonly Counter<long> records;
    private readonly Counter<long> rejected;
    private readonly Histogram<double> ingestDuration;
    private readonly Histogram<double> evaluationDuration;
    private readonly Counter<long> evaluationFailures;
    private readonly Counter<long> deliveryFailures;
    private readonly Counter<long> otlpSpans;

    public PortalMetrics(IMeterFactory meters)
    {
        Meter = meters.Create(MeterName);
        cost = Meter.CreateCounter<double>("quotaportal_usage_cost_usd", description: "Spend ingested, in USD (committed records only).");
        tokens = Meter.CreateCounter<long>("quotaportal_usage_tokens", description: "Tokens ingested; type=input|output (totals: cached and reasoning are parts of them).");
        records = Meter.CreateCounter<long>("quotaportal_usage_records", description: "Usage records committed (duplicates not counted).");
        rejected = Meter.CreateCounter<long>("quotaportal_ingest_rejected", description: "Usage POSTs answered with an error, by HTTP status and reason.");
        ingestDuration = Meter.CreateHistogram("quotaportal_ingest_duration", "s",
            "Time from a batch's validation to its commit (accepted batches, replays included).", advice: FastSeconds);
        evaluationDuration = Meter.CreateHistogram("quotaportal_evaluation_duration", "s", "Duration of one evaluation tick (all steps).",
            advice: SlowSeconds);
        evaluationFailures = Meter.CreateCounter<long>("quotaportal_evaluation_failures", description: "Evaluation steps that failed or reported errors, by step.");
        deliveryFailures = Meter.CreateCounter<long>("quotaportal_notification_delivery_failures",
            description: "Notification delivery attempts that failed, by channel kind.");
        otlpSpans = Meter.CreateCounter<long>("quotaportal_otlp_spans",
            description: "Spans received on POST /v1/traces, by outcome: ingested (GenAI, written or already written), ignored (not GenAI), rejected.");
    }

    public Meter Meter { get; }

    /// <summary>False while nothing listens (metrics off): callers can skip the aggregation that feeds <see cref="UsageCommitted"/>.</summary>
    public bool UsageEnabled => records.Enabled;

    /// <summary>One call per team × provider × model of a committed batch, never one per record: the ingest hot path stays cheap.</summary>
    public void UsageCommitted(string team, string provider, string model, long recordCount, long costNanos, long inputTokens, long outputTokens)
    {
        var tags = new TagList { { "team", team }, { "provider", provider }, { "model", model } };
        records.Add(recordCount, tags);
        cost.Add(costNanos / 1e9, tags);
        var input = tags;
        input.Add("type", "input");
        tokens.Add(inputTokens, input);
        tags.Add("type", "output");
        tokens.Add(outputTokens, tags);
    }

    /// <param name="outcome">ingested, ignored or rejected.</param>
    public void OtlpSpans(string outcome, long count)
    {
        if (count > 0)
            otlpSpans.Add(count, new KeyValuePair<string, object?>("outcome", outcome));
    }

    public void IngestSucceeded(TimeSpan elapsed) => ingestDuration.Record(elapsed.TotalSeconds);

    public void IngestRejected(int status) =>
        rejected.Add(1, new KeyValuePair<string, object?>("status", StatusText(status)), new KeyValuePair<string, object?>("reason", ReasonOf(status)));

    public void EvaluationTicked(TimeSpan elapsed) => evaluationDuration.Record(elapsed.TotalSeconds);

    public void EvaluationStepFailed(string step) => evaluationFailures.Add(1, new KeyValuePair<string, object?>("step", step));

    public void DeliveryFailed(string channelKind) => deliveryFailures.Add(1, new KeyValuePair<string, object?>("channel", channelKind));

    /// <summary>What an error status of POST /api/v1/usage means (the README's list of answers).</summary>
    public static string ReasonOf(int status) => status switch
    {
        400 => "invalid",
        401 => "unauthenticated",
        403 => "forbidden",
        413 => "too_large",
        415 => "unsupported_media_type",
        422 => "unprocessable",
        429 => "rate_limited",
        >= 500 => "server_error",
        _ => "other",
    };

    // Interned strings for the usual statuses: no allocation per rejected request.
    private static string StatusText(int status) => status switch
    {
        400 => "400", 401 => "401", 403 => "403", 413 => "413", 415 => "415", 422 => "422", 429 => "429", 500 => "500",
        _ => status.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
