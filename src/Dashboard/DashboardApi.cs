using Microsoft.AspNetCore.Http.HttpResults;
using QuotaPortal.Kernel;

namespace QuotaPortal.Dashboard;

/// <summary>Dashboard figures for readers (signed-in users or read-scoped keys).</summary>
public static class DashboardApi
{
    public static IEndpointRouteBuilder MapDashboardApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/dashboard", DashboardAsync).RequireAuthorization(Policies.Reader).WithTags("Analytics")
            .WithSummary("Executive dashboard figures (KPIs, spend per day, teams, top drivers, forecast)");
        app.MapTeamOverviewApi();
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
}
