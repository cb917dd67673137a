using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using QuotaPortal.Kernel;

namespace QuotaPortal.Recommendations;

public static class RecommendationsApi
{
    public static IEndpointRouteBuilder MapRecommendationsApi(this IEndpointRouteBuilder app)
    {
        var read = app.MapGroup("/api/v1/recommendations").WithTags("Recommendations").RequireAuthorization(Policies.Reader);
        read.MapGet("/", ListAsync).WithSummary("Recommendations the caller's teams can act on, ranked by monthly saving (JSON or CSV)");
        read.MapGet("/{id:long}", GetAsync).WithSummary("One recommendation: evidence, calculation, steps, ROI and the realised saving");
        read.MapPost("/simulate", SimulateAsync).WithSummary("What-if: the monthly cost after moving, caching or batching a share of the last 30 days' traffic");
        var admin = app.MapGroup("/api/v1/recommendations").WithTags("Recommendations").RequireAuthorization(Policies.Admin);
        admin.MapPost("/run", RunAsync).WithSummary("Run the engine now (it also runs once a day)");
        admin.MapPost("/{id:long}/accept", AcceptAsync).WithSummary("Accept a recommendation (planned)");
        admin.MapPost("/{id:long}/dismiss", DismissAsync).WithSummary("Dismiss a recommendation with a reason; re-runs keep it dismissed");
        admin.MapPost("/{id:long}/implement", ImplementAsync).WithSummary("Mark a recommendation implemented (from a date): the realised saving is measured from then");
        return app;
    }

    /// <param name="type">modelRightSizing, promptCaching, batchApi, budgetRightSizing, errorWaste or outputLength.</param>
    /// <param name="status">open, accepted, implemented, dismissed or expired; default open and accepted.</param>
    /// <param name="format">json (default) or csv.</param>
    public static async Task<Results<Ok<RecommendationList>, FileContentHttpResult, ValidationProblem>> ListAsync(int? teamId, string? type, string? status,
        string? format, RecommendationService recommendations, AccessScope scope, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var kind = Parse<RecommendationKind>(type, "type", errors);
        var state = Parse<RecommendationStatus>(status, "status", errors);
        if (format is not null and not ("json" or "csv"))
            errors.Add("format", "'format' must be json or csv.");
        if (errors.Any)
            return TypedResults.ValidationProblem(errors.ToDictionary());
        var list = await recommendations.ListAsync(scope, new RecommendationFilter(teamId, kind, state), ct);
        return format == "csv"
            ? TypedResults.File(Encoding.UTF8.GetBytes(RecommendationCsv.Write(list)), "text/csv", "quotaportal-recommendations.csv")
            : TypedResults.Ok(list);
    }

    private static T? Parse<T>(string? value, string field, FieldErrors errors) where T : struct, Enum
    {
        if (value is null)
            return null;
        if (Enum.TryParse<T>(value, ignoreCase: true, out var parsed) && !int.TryParse(value, out _))
            return parsed;
        errors.Add(field, $"'{field}' must be one of {string.Join(", ", Enum.GetNames<T>().Select(n => char.ToLowerInvariant(n[0]) + n[1..]))}.");
        return null;
    }

    public static async Task<Results<Ok<RecommendationDetail>, NotFound>> GetAsync(long id, RecommendationService recommendations, AccessScope scope,
        CancellationToken ct) =>
        await recommendations.GetAsync(id, scope, ct) is { } detail ? TypedResults.Ok(detail) : TypedResults.NotFound();

    public static async Task<Results<Ok<WhatIfResult>, ValidationProblem>> SimulateAsync(WhatIfInput body, RecommendationService recommendations,
        AccessScope scope, CancellationToken ct)
    {
        var r = await recommendations.SimulateAsync(body, scope, ct);
        return r.Succeeded ? TypedResults.Ok(r.Value!) : TypedResults.ValidationProblem(r.Errors);
    }

    public static async Task<Results<Ok<RunResult>, Conflict<string>>> RunAsync(RecommendationRunner runner, AccessScope scope, CancellationToken ct) =>
        await runner.RunAsync(scope, ct) is { } result ? TypedResults.Ok(result) : TypedResults.Conflict("A run is already going.");

    /// <param name="Reason">Why it does not apply; shown on the recommendation and in the audit log.</param>
    public sealed record DismissBody(string? Reason) : IHasExample<DismissBody>
    {
        public static DismissBody Example => new("This agent's answers are reviewed by lawyers: we keep the larger model.");
    }

    /// <param name="ImplementedAt">When the change went live (UTC); now when absent. Not in the future.</param>
    public sealed record ImplementBody(DateTimeOffset? ImplementedAt) : IHasExample<ImplementBody>
    {
        public static ImplementBody Example => new(new DateTimeOffset(2026, 11, 20, 9, 0, 0, TimeSpan.Zero));
    }

    public static async Task<Results<Ok<RecommendationRow>, ValidationProblem, NotFound>> AcceptAsync(long id, RecommendationService recommendations,
        AccessScope scope, CancellationToken ct) => Map(await recommendations.AcceptAsync(id, scope, ct));

    public static async Task<Results<Ok<RecommendationRow>, ValidationProblem, NotFound>> DismissAsync(long id, DismissBody body,
        RecommendationService recommendations, AccessScope scope, CancellationToken ct) => Map(await recommendations.DismissAsync(id, body.Reason, scope, ct));

    public static async Task<Results<Ok<RecommendationRow>, ValidationProblem, NotFound>> ImplementAsync(long id, ImplementBody? body,
        RecommendationService recommendations, AccessScope scope, CancellationToken ct) =>
        Map(await recommendations.ImplementAsync(id, body?.ImplementedAt?.UtcDateTime, scope, ct));

    private static Results<Ok<T>, ValidationProblem, NotFound> Map<T>(ServiceResult<T> r) =>
        r.NotFound ? TypedResults.NotFound() : r.Succeeded ? TypedResults.Ok(r.Value!) : TypedResults.ValidationProblem(r.Errors);
}

public static class RecommendationCsv
{
    public static string Write(RecommendationList list) => CsvExport.Write(
        new[] { new[] { "id", "type", "status", "team", "scope", "title", "monthly_saving_usd", "saving_percent_of_scope", "scope_monthly_spend_usd", "confidence", "effort_hours", "target", "updated_at_utc" } }
            .Concat(list.Items.Select(r => new[]
            {
                r.Id.ToString(CultureInfo.InvariantCulture), r.KindName, r.Status.ToString(), r.TeamName, r.Scope, r.Title,
                Numbers.ForCsv(r.MonthlySaving, "0.00"), Numbers.ForCsv(r.SavingPercent, "0.0"), Numbers.ForCsv(r.ScopeMonthlySpend, "0.00"),
                r.Confidence.ToString(), Numbers.ForCsv(r.EffortHours), r.Target, r.UpdatedAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
            })));
}
