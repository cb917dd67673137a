using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;

namespace QuotaPortal.Billing;

public static class ReconciliationApi
{
    public static IEndpointRouteBuilder MapReconciliationApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/billing/reconciliation", GetAsync).RequireAuthorization(Policies.Reader).WithTags("Billing")
            .WithSummary("Billed (the providers' own reports) against tracked spend per provider and UTC day, team, project and model; drift, coverage, untracked spend");
        var admin = app.MapGroup("/api/v1/billing/projects").WithTags("Billing").RequireAuthorization(Policies.Admin);
        admin.MapGet("/", ProjectsAsync).WithSummary("Provider projects and workspaces seen in billing pulls, their team and a suggested team");
        admin.MapPut("/{id:int}", MapAsync).WithSummary("Map a provider project or workspace to a team (teamId null: unattributed)");
        return app;
    }

    /// <param name="from">First UTC day (yyyy-MM-dd); default the first of this month.</param>
    /// <param name="to">Last UTC day, inclusive; default today.</param>
    /// <param name="provider">openai or anthropic; default every connected provider.</param>
    /// <param name="team">A team's slug or id: only the projects mapped to it and its own tracked spend.</param>
    /// <param name="format">json (default) or csv (one row per provider and day).</param>
    public static async Task<Results<Ok<Reconciliation>, FileContentHttpResult, ValidationProblem>> GetAsync(DateOnly? from, DateOnly? to,
        string? provider, string? team, string? format, ReconciliationService reconciliation, TeamService teams,
        TimeProvider time, AccessScope scope, CancellationToken ct)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var start = from ?? new DateOnly(today.Year, today.Month, 1);
        var end = to ?? (from is { } f && f > today ? f : today);
        var errors = new FieldErrors();
        foreach (var (field, messages) in ReconciliationService.Validate(start, end, provider) ?? new Dictionary<string, string[]>())
            foreach (var m in messages)
                errors.Add(field, m);
        if (format is not null and not ("json" or "csv"))
            errors.Add("format", "'format' must be json or csv.");
        int? teamId = null;
        if (!string.IsNullOrWhiteSpace(team))
        {
            var wanted = team.Trim();
            teamId = (await teams.FindTeamAsync(wanted, ct))?.Id;
            // A team the caller may not see answers as one that does not exist: no probing for other teams' names.
            if (teamId is not { } found || !scope.CanSeeTeam(found))
                errors.Add("team", $"There is no team '{wanted}' you can see.");
        }
        if (errors.Any)
            return TypedResults.ValidationProblem(errors.ToDictionary());
        var result = await reconciliation.GetAsync(new ReconciliationQuery(start, end, provider, teamId), scope, ct);
        return format == "csv"
            ? TypedResults.File(Encoding.UTF8.GetBytes(ReconciliationCsv.Write(result)), "text/csv", $"quotaportal-reconciliation-{start:yyyy-MM-dd}-{end:yyyy-MM-dd}.csv")
            : TypedResults.Ok(result);
    }

    public static async Task<Ok<IReadOnlyList<BillingProjectView>>> ProjectsAsync(BillingMappingService mapping, AccessScope scope, CancellationToken ct) =>
        TypedResults.Ok(await mapping.ListAsync(scope, ct));

    /// <param name="Team">The slug of the team that spends the project (or give <paramref name="TeamId"/>); neither: unattributed.</param>
    /// <param name="TeamId">The team's id, instead of its slug.</param>
    public sealed record MapBody(string? Team, int? TeamId) : IHasExample<MapBody>
    {
        public static MapBody Example => new("search", null);
    }

    public static async Task<Results<Ok<BillingProjectView>, ValidationProblem, NotFound>> MapAsync(int id, MapBody body, BillingMappingService mapping,
        IDbContextFactory<QuotaDbContext> dbFactory, AccessScope scope, CancellationToken ct)
    {
        var teamId = body.TeamId;
        if (!string.IsNullOrWhiteSpace(body.Team))
        {
            // By slug only (TeamService.FindTeamAsync reads "7" as team 7, and "7" is a valid slug).
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var slug = body.Team.Trim();
            teamId = await db.Teams.AsNoTracking().Where(t => t.Slug == slug).Select(t => (int?)t.Id).FirstOrDefaultAsync(ct);
            if (teamId is null)
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["team"] = [$"There is no team '{slug}'."] });
        }
        var r = await mapping.MapAsync(id, teamId, scope, ct);
        return r.NotFound ? TypedResults.NotFound() : r.Succeeded ? TypedResults.Ok(r.Value!) : TypedResults.ValidationProblem(r.Errors);
    }
}

public static class ReconciliationCsv
{
    public static string Write(Reconciliation r) => CsvExport.Write(
        new[] { new[] { "provider", "day_utc", "billed_usd", "tracked_usd", "drift_usd", "drift_percent", "coverage_percent", "untracked_usd", "billed_tokens", "tracked_tokens", "settled" } }
            .Concat(r.Days.Select(d => new[]
            {
                d.Provider, d.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), Numbers.ForCsv(d.Figures.Billed, "0.00####"),
                Numbers.ForCsv(d.Figures.Tracked, "0.00####"), Numbers.ForCsv(d.Figures.Drift, "0.00####"), Numbers.ForCsv(d.Figures.DriftShare * 100, "0.00"),
                Numbers.ForCsv(d.Figures.Coverage * 100, "0.00"), Numbers.ForCsv(d.Figures.Untracked, "0.00####"),
                d.Figures.BilledTokens.ToString(CultureInfo.InvariantCulture), d.Figures.TrackedTokens.ToString(CultureInfo.InvariantCulture),
                d.Settled ? "yes" : "no",
            })));
}
