using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.ApiKeys;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using Microsoft.Extensions.Options;
using QuotaPortal.Teams;
using QuotaPortal.Usage;

namespace QuotaPortal.Outcomes;

/// <param name="Team">Team slug.</param>
/// <param name="Name">What was achieved, e.g. "tickets_resolved".</param>
/// <param name="Value">How many (or how much).</param>
/// <param name="ValueUsd">Optional business value in USD, for ROI.</param>
/// <param name="Timestamp">When (default now).</param>
public sealed record OutcomeInput(string? Team, string? Name, decimal? Value, decimal? ValueUsd, DateTimeOffset? Timestamp) : IHasExample<OutcomeInput>
{
    public static OutcomeInput Example => new("search", "tickets_resolved", 12, 180, null);
}

public sealed record OutcomesAccepted(int Accepted);

/// <summary>
/// <c>POST /api/v1/outcomes</c>: business outcomes a team reports (tickets solved, documents processed, revenue), so the Trends page can
/// show cost per outcome and ROI. One object or an array of up to 1,000; all-or-nothing like usage ingestion, with the same keys.
/// </summary>
public static class OutcomesApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IEndpointRouteBuilder MapOutcomesApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/outcomes", PostAsync).RequireAuthorization(Policies.Ingest).WithTags("Usage").Accepts<List<OutcomeInput>>("application/json")
            .WithSummary("Report business outcomes (one or an array) for cost per outcome and ROI");
        return app;
    }

    public static async Task<Results<Ok<OutcomesAccepted>, ValidationProblem, ForbidHttpResult, ProblemHttpResult>> PostAsync(HttpContext http,
        IDbContextFactory<QuotaDbContext> dbFactory, TimeProvider time, IOptions<IngestOptions> ingest, CancellationToken ct)
    {
        // Same cap as usage ingestion (Ingest:MaxBodyBytes): 1,000 outcomes are far below it, and nothing unbounded is buffered.
        var (raw, problem) = await JsonBody.ReadAsync(http.Request, ingest.Value.MaxBodyBytes, ct);
        if (problem is not null)
            return problem;
        List<OutcomeInput?> inputs;
        try
        {
            inputs = JsonItems.Read<OutcomeInput>(raw.Span, Json);
        }
        catch (JsonException ex)
        {
            var (path, message) = JsonBindingErrors.Describe(ex, JsonItems.BodyType<OutcomeInput>(raw.Span));
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [path] = [message] }, detail: message, title: "Malformed JSON");
        }
        if (inputs.Count is 0 or > 1000)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["Send one outcome or an array of 1 to 1,000."] });

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Only names a team could have are looked up (a NUL, say, is no slug, and PostgreSQL refuses it in a query).
        var slugs = inputs.Where(i => i?.Team is not null && Slug.IsValid(i.Team)).Select(i => i!.Team!).Distinct().ToList();
        var teams = await db.Teams.AsNoTracking().Where(t => slugs.Contains(t.Slug) && t.ArchivedAt == null).ToDictionaryAsync(t => t.Slug, t => t.Id, ct);
        var now = time.GetUtcNow();
        var errors = new FieldErrors();
        var grant = ApiKeyAuthenticationHandler.Grant(http);
        var rows = new List<Outcome>(inputs.Count);
        for (var i = 0; i < inputs.Count; i++)
        {
            var p = inputs.Count == 1 ? "" : $"[{i}].";
            var o = inputs[i];
            if (o is null)
            {
                errors.Add($"[{i}]", "A batch may not contain null outcomes.");
                continue;
            }
            if (string.IsNullOrWhiteSpace(o.Team))
                errors.Add(p + "team", "'team' is required.");
            else if (!teams.TryGetValue(o.Team, out var teamId))
                errors.Add(p + "team", $"No active team '{o.Team}'.");
            else if (grant is not null && !grant.CanIngest(teamId))
                return TypedResults.Forbid();
            if (string.IsNullOrWhiteSpace(o.Name) || o.Name.Length > 100)
                errors.Add(p + "name", "'name' is required (up to 100 characters).");
            if (o.Value is not { } value || value < 0)
                errors.Add(p + "value", "'value' is required and must be zero or more.");
            if (o.ValueUsd is < 0)
                errors.Add(p + "valueUsd", "'valueUsd' must be zero or more.");
            if (o.Timestamp is { } ts && (ts > now.AddMinutes(ingest.Value.MaxFutureMinutes) || ts < now.AddDays(-ingest.Value.RetentionDays)))
                errors.Add(p + "timestamp", $"'timestamp' must be within the last {ingest.Value.RetentionDays} days and not in the future.");
            if (!errors.Any && o.Team is not null && teams.TryGetValue(o.Team, out var id))
                rows.Add(new Outcome { TeamId = id, Name = o.Name!.Trim(), Value = o.Value!.Value, ValueUsd = o.ValueUsd, Timestamp = (o.Timestamp ?? now).UtcDateTime });
        }
        if (errors.Any)
            return TypedResults.ValidationProblem(errors.ToDictionary());
        db.Outcomes.AddRange(rows);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new OutcomesAccepted(rows.Count));
    }
}
