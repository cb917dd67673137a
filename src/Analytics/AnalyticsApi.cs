using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using QuotaPortal.Infrastructure;

namespace QuotaPortal.Analytics;

/// <summary>Dashboard figures and reports for readers (signed-in users or read-scoped keys).</summary>
public static class AnalyticsApi
{
    public static IEndpointRouteBuilder MapAnalyticsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/dashboard", DashboardAsync).RequireAuthorization(Policies.Reader).WithTags("Analytics")
            .WithSummary("Executive dashboard figures (KPIs, spend per day, teams, top drivers, forecast)");
        app.MapGet("/api/v1/reports/{kind}", ReportAsync).RequireAuthorization(Policies.Reader).WithTags("Analytics")
            .WithSummary("Daily, weekly or monthly report as JSON or CSV");
        return app;
    }

    /// <param name="days">7–366, ignored when from/to are given.</param>
    /// <param name="from">First day (yyyy-MM-dd, UTC).</param>
    /// <param name="to">Last day, inclusive.</param>
    /// <param name="department">Department id.</param>
    /// <param name="groupBy">team, provider or model.</param>
    public static async Task<Results<Ok<DashboardSummary>, ValidationProblem>> DashboardAsync(DashboardService dashboard, TimeProvider time,
        AccessScope scope, int? days, DateOnly? from, DateOnly? to, int? department, SpendGrouping? groupBy, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (days is < 1 or > 366)
            errors.Add("days", "'days' must be between 1 and 366.");
        if ((from is null) != (to is null))
            errors.Add(from is null ? "from" : "to", "Give both 'from' and 'to', or neither.");
        if (from is { } f && to is { } t && (t < f || t.DayNumber - f.DayNumber > 366))
            errors.Add("to", "'to' must be on or after 'from' and at most 366 days later.");
        if (errors.Any)
            return TypedResults.ValidationProblem(errors.ToDictionary());
        var query = from is { } start && to is { } end
            ? new DashboardQuery(start, end, department, groupBy ?? SpendGrouping.Team)
            : DashboardQuery.LastDays(time.GetUtcNow().UtcDateTime, days ?? 30, department, groupBy ?? SpendGrouping.Team);
        return TypedResults.Ok(await dashboard.GetAsync(query, scope, ct));
    }

    /// <param name="kind">daily, weekly or monthly.</param>
    /// <param name="date">A day inside the period (yyyy-MM-dd); default yesterday for daily, today otherwise.</param>
    /// <param name="format">json (default) or csv.</param>
    public static async Task<Results<Ok<SpendReport>, FileContentHttpResult, ValidationProblem>> ReportAsync(string kind, DateOnly? date, string? format,
        ReportService reports, AccessScope scope, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (!Enum.TryParse<ReportKind>(kind, ignoreCase: true, out var k) || int.TryParse(kind, out _))
            errors.Add("kind", "'kind' must be daily, weekly or monthly.");
        if (format is not null && format is not ("json" or "csv"))
            errors.Add("format", "'format' must be json or csv.");
        if (errors.Any)
            return TypedResults.ValidationProblem(errors.ToDictionary());
        var report = await reports.BuildAsync(k, scope, date, ct);
        if (format == "csv")
            return TypedResults.File(Encoding.UTF8.GetBytes(ReportService.ToCsv(report)), "text/csv",
                $"quotaportal-{k.ToString().ToLowerInvariant()}-{report.From.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}.csv");
        return TypedResults.Ok(report);
    }
}
