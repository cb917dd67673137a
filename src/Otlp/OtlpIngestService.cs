using Microsoft.Extensions.Options;
using QuotaPortal.ApiKeys;
using QuotaPortal.Kernel;
using QuotaPortal.Otlp.Proto.Collector;
using QuotaPortal.Usage;

namespace QuotaPortal.Otlp;

/// <param name="Ingested">GenAI spans accepted (new records plus <paramref name="Duplicates"/>: spans an earlier export already wrote).</param>
public sealed record OtlpIngestResult(int Ingested, int Duplicates, int Ignored, int Rejected, string? ErrorMessage);

/// <summary>
/// One OTLP export: every span mapped (<see cref="GenAiSpanMapper"/>), the team decided against the key's scope, each record validated
/// on its own, and the GenAI ones written through the existing <see cref="UsageIngestor"/> in one batch. Unlike POST /api/v1/usage a bad
/// span does not sink the export: OTLP answers with partial success, so the bad spans are dropped, counted and named.
/// </summary>
internal sealed class OtlpIngestService(UsageIngestor ingestor, IOptions<IngestOptions> options, TimeProvider time, PortalMetrics metrics,
    ILogger<OtlpIngestService> log)
{
    /// <summary>Rounds of "drop what the ingestor refused, write the rest" (unpriced models, then teams): one refusal kind per round.</summary>
    private const int MaxRounds = 4;

    public async Task<OtlpIngestResult> IngestAsync(ExportTraceServiceRequest request, IngestCaller caller, CancellationToken ct)
    {
        var batch = new SpanBatch();
        var now = time.GetUtcNow().UtcDateTime;
        foreach (var resourceSpans in request.ResourceSpans)
        {
            var resource = resourceSpans.Resource is { } r ? new Attributes(r.Attributes) : Attributes.None;
            foreach (var scope in resourceSpans.ScopeSpans)
                foreach (var span in scope.Spans)
                    Accept(batch, GenAiSpanMapper.Map(span, resource), caller.Grant, now);
        }
        var (ingested, duplicates) = (0, 0);
        foreach (var chunk in batch.Inputs.Chunk(options.Value.MaxBatchRecords))
        {
            var (accepted, dup) = await WriteAsync([.. chunk], caller, batch, ct);
            ingested += accepted + dup;
            duplicates += dup;
        }
        metrics.OtlpSpans("ingested", ingested);
        metrics.OtlpSpans("ignored", batch.Ignored);
        metrics.OtlpSpans("rejected", batch.Rejected);
        return new OtlpIngestResult(ingested, duplicates, batch.Ignored, batch.Rejected, batch.ErrorMessage());
    }

    private void Accept(SpanBatch batch, SpanMapping mapping, ApiKeyGrant? grant, DateTime now)
    {
        switch (mapping.Outcome)
        {
            case SpanOutcome.Ignored:
                batch.Ignored++;
                return;
            case SpanOutcome.Rejected:
                batch.Reject(mapping.Reason!);
                return;
        }
        var input = mapping.Input!;
        var (team, refusal) = Team(mapping.ResourceTeam, grant);
        if (refusal is not null)
        {
            batch.Reject($"{input.IdempotencyKey}: {refusal}");
            return;
        }
        input.Team = team;
        var errors = new FieldErrors();
        UsageValidation.Validate(input, "", now, options.Value, errors);
        if (errors.Any)
            batch.Reject($"{input.IdempotencyKey}: {string.Join(" ", errors.ToDictionary().SelectMany(e => e.Value))}");
        else
            batch.Inputs.Add(input);
    }

    /// <summary>
    /// The key's own team, or the resource attribute quotaportal.team where the key may write it: a team-scoped key naming another team
    /// is refused (never silently written to its own team), and an org-wide key must name one.
    /// </summary>
    public static (string? Team, string? Refusal) Team(string? resourceTeam, ApiKeyGrant? grant)
    {
        var orgWide = grant is null || grant.IsAdmin || grant.Scope == ApiKeyScopes.IngestAll;
        if (orgWide)
            return resourceTeam is null
                ? (null, $"no team: this key may write any team, so the resource attribute {GenAiSpanMapper.TeamAttribute} must name one")
                : (resourceTeam, null);
        if (resourceTeam is null || string.Equals(resourceTeam, grant!.TeamSlug, StringComparison.Ordinal))
            return (grant!.TeamSlug, null);
        return (null, $"this API key may not write usage for team '{resourceTeam}' ({GenAiSpanMapper.TeamAttribute})");
    }

    /// <summary>Writes what it can: a record the ingestor refuses (no price, unknown or forbidden team) is rejected and the rest written.</summary>
    private async Task<(int Accepted, int Duplicates)> WriteAsync(List<UsageInput> inputs, IngestCaller caller, SpanBatch batch, CancellationToken ct)
    {
        for (var round = 0; round < MaxRounds && inputs.Count > 0; round++)
        {
            var outcome = await ingestor.IngestAsync(inputs, caller, null, ct);
            if (outcome.Status == IngestStatus.Ok)
                return (outcome.Result!.Accepted, outcome.Result.Duplicates);
            var refused = Refused(outcome, inputs);
            if (refused.Count == 0)
                break;
            foreach (var (index, reason) in refused.OrderByDescending(r => r.Key))
            {
                batch.Reject($"{inputs[index].IdempotencyKey}: {reason}");
                inputs.RemoveAt(index);
            }
        }
        if (inputs.Count > 0)
        {
            log.LogWarning("OTLP export: {Count} GenAI spans could not be written", inputs.Count);
            foreach (var input in inputs)
                batch.Reject($"{input.IdempotencyKey}: not written");
        }
        return (0, 0);
    }

    /// <summary>Which inputs an outcome refers to, by index, with why.</summary>
    private static Dictionary<int, string> Refused(IngestOutcome outcome, List<UsageInput> inputs)
    {
        var refused = new Dictionary<int, string>();
        if (outcome.Status == IngestStatus.Invalid && outcome.Errors is { } errors)
        {
            foreach (var (key, messages) in errors)
            {
                var index = inputs.Count == 1 ? 0 : IndexOf(key);
                if (index is >= 0 && index < inputs.Count)
                    refused.TryAdd(index.Value, string.Join(" ", messages));
            }
        }
        else if (outcome.Status is IngestStatus.UnknownTeams or IngestStatus.Forbidden && outcome.Teams is { } teams)
        {
            var why = outcome.Status == IngestStatus.UnknownTeams ? "no active team" : "this API key may not write team";
            for (var i = 0; i < inputs.Count; i++)
                if (teams.Contains(inputs[i].Team!.Trim()))
                    refused[i] = $"{why} '{inputs[i].Team}'";
        }
        return refused;
    }

    /// <summary>"[12].model" → 12.</summary>
    private static int? IndexOf(string key) =>
        key.StartsWith('[') && key.IndexOf(']') is > 1 and var end && int.TryParse(key.AsSpan(1, end - 1), out var i) ? i : null;

    private sealed class SpanBatch
    {
        private readonly List<string> reasons = [];
        public List<UsageInput> Inputs { get; } = [];
        public int Ignored { get; set; }
        public int Rejected { get; private set; }

        public void Reject(string reason)
        {
            Rejected++;
            if (reasons.Count < 5)
                reasons.Add(reason);
        }

        /// <summary>The first few reasons (an export of 10,000 bad spans does not get a 10,000-line answer).</summary>
        public string? ErrorMessage() => Rejected == 0 ? null
            : $"{Rejected} span(s) rejected: {string.Join("; ", reasons)}{(Rejected > reasons.Count ? "; …" : "")}";
    }
}
