using Microsoft.AspNetCore.Http.HttpResults;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;

namespace QuotaPortal.Trends;

/// <summary>What the Trends page shows, for scripts and BI tools: the same service, so the same figures and the same team scope.</summary>
public static class TrendsApi
{
    public static IEndpointRouteBuilder MapTrendsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/trends", GetAsync).RequireAuthorization(Policies.Reader).WithTags("Analytics")
            .WithSummary("Period comparisons, breakdown and team efficiency of the Trends page (the caller's teams only)");
        return app;
    }

    /// <param name="days">The period, 1–366 days ending today (UTC); default 30 (the page offers 7, 30 and 90).</param>
    /// <param name="by">Breakdown: model (default), provider or apiMethod.</param>
    /// <param name="department">A department's slug: only its teams.</param>
    /// <param name="Heatmap">Average spend (USD) per day of week (Monday first) × hour of day (UTC) over the period: 7 rows of 24.</param>
    public sealed record TrendsResponse(DateOnly From, DateOnly To, DateTime AsOfUtc, IReadOnlyList<PeriodComparison> Comparisons,
        IReadOnlyList<BreakdownLine> Breakdown, double[][] Heatmap, IReadOnlyList<TeamEfficiency> Teams)
    {
        public static TrendsResponse Of(TrendsView v) => new(v.From, v.To, v.AsOfUtc, v.Comparisons, v.Breakdown,
            Enumerable.Range(0, v.Heatmap.GetLength(0)).Select(d => Enumerable.Range(0, v.Heatmap.GetLength(1)).Select(h => v.Heatmap[d, h]).ToArray()).ToArray(),
            v.Teams);
    }

    public static async Task<Results<Ok<TrendsResponse>, ValidationProblem>> GetAsync(int? days, string? by, string? department, TrendsService trends,
        TeamService teams, AccessScope scope, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (days is < 1 or > 366)
            errors.Add("days", "'days' must be between 1 and 366.");
        var breakdown = BreakdownBy.Model;
        if (by is not null && (!Enum.TryParse(by, ignoreCase: true, out breakdown) || int.TryParse(by, out _)))
            errors.Add("by", "'by' must be model, provider or apiMethod.");
        int? departmentId = null;
        if (!string.IsNullOrWhiteSpace(department))
        {
            departmentId = (await teams.ListDepartmentsAsync(scope, includeArchived: true, ct)).FirstOrDefault(d => d.Slug == department.Trim())?.Id;
            if (departmentId is null)
                errors.Add("department", $"No department with slug '{department.Trim()}'.");
        }
        if (errors.Any)
            return TypedResults.ValidationProblem(errors.ToDictionary());
        return TypedResults.Ok(TrendsResponse.Of(await trends.GetAsync(days ?? 30, breakdown, scope, departmentId, ct)));
    }
}
