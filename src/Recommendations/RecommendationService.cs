using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuotaPortal.Audit;
using QuotaPortal.Data;
using QuotaPortal.Kernel;

namespace QuotaPortal.Recommendations;

/// <summary>Reads recommendations for a principal (its teams only) and applies admins' decisions, each audited with the change.</summary>
public sealed class RecommendationService(IDbContextFactory<QuotaDbContext> dbFactory, AuditLog audit, TimeProvider time,
    IOptions<RecommendationOptions> options, RecommendationRunner runner, RecommendationLoader loader)
{
    public const int MaxReasonLength = 500;

    public async Task<RecommendationList> ListAsync(AccessScope scope, RecommendationFilter filter, CancellationToken ct = default)
    {
        if (!scope.CanReadData)
            return new RecommendationList(0, 0, 0, [], runner.LastRunAt);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await VisibleAsync(db, scope, ct);
        var teams = await db.Teams.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.Name, ct);
        var inScope = rows.Where(r => (filter.TeamId is null || r.TeamId == filter.TeamId) && (filter.Kind is null || r.Kind == filter.Kind)).ToList();
        // The headline is what the filtered scope can still act on, over the same scope's spend, whatever status the table shows.
        var actionable = inScope.Where(r => RecommendationFilter.StillPossible(r.Status)).ToList();
        var items = inScope
            .Where(r => filter.Matches(r.Status))
            .OrderByDescending(r => r.MonthlySaving).ThenBy(r => r.Id)
            .Select(r => ToRow(r, teams)).ToList();
        return new RecommendationList(actionable.Sum(r => r.MonthlySaving), await MonthlySpendAsync(db, scope, filter.TeamId, ct),
            actionable.Count(r => r.Status == RecommendationStatus.Open), items, runner.LastRunAt ?? rows.MaxBy(r => r.UpdatedAt)?.UpdatedAt);
    }

    public async Task<RecommendationDetail?> GetAsync(long id, AccessScope scope, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var r = await db.Recommendations.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (r is null || !scope.CanReadData || !scope.CanSee(r.TeamId, r.DepartmentId))
            return null;
        var teams = await db.Teams.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.Name, ct);
        var details = JsonSerializer.Deserialize<RecommendationDetails>(r.DetailsJson, RecommendationRunner.Json)!;
        var now = time.GetUtcNow().UtcDateTime;
        var realised = r.ImplementedAt is { } at ? await RealisedSavings.MeasureAsync(db, r, at, now, options.Value.WindowDays, ct) : null;
        var key = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var history = await db.AuditEntries.AsNoTracking().Where(a => a.EntityType == "Recommendation" && a.EntityId == key)
            .OrderByDescending(a => a.Id).Select(a => new HistoryLine(a.At, a.Actor, a.Action, a.Summary)).ToListAsync(ct);
        return new RecommendationDetail(ToRow(r, teams), details, new Roi(r.EffortHours, options.Value.HourlyRateUsd, r.MonthlySaving), realised,
            await RealisedSavings.DailyAsync(db, r, r.WindowFrom, now, ct), history, r.Risk);
    }

    /// <summary>
    /// The <paramref name="top"/> open recommendations by monthly saving and every implemented one with its realised saving (measured as
    /// the detail page measures it), over what <paramref name="scope"/> may see.
    /// </summary>
    public async Task<RecommendationDigest> DigestAsync(AccessScope scope, int top = 5, CancellationToken ct = default)
    {
        if (!scope.CanReadData)
            return RecommendationDigest.Empty;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await VisibleAsync(db, scope, ct);
        var teams = await db.Teams.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.Name, ct);
        var open = rows.Where(r => r.Status == RecommendationStatus.Open).OrderByDescending(r => r.MonthlySaving).ThenBy(r => r.Id).ToList();
        var now = time.GetUtcNow().UtcDateTime;
        var implemented = new List<ImplementedSaving>();
        foreach (var r in rows.Where(r => r.Status == RecommendationStatus.Implemented && r.ImplementedAt is not null).OrderBy(r => r.ImplementedAt))
            implemented.Add(new(ToRow(r, teams), await RealisedSavings.MeasureAsync(db, r, r.ImplementedAt!.Value, now, options.Value.WindowDays, ct)));
        var possible = rows.Where(r => RecommendationFilter.StillPossible(r.Status)).ToList();
        return new RecommendationDigest(open.Take(top).Select(r => ToRow(r, teams)).ToList(), open.Count,
            possible.Count(r => r.Status == RecommendationStatus.Accepted), possible.Sum(r => r.MonthlySaving), implemented);
    }

    /// <summary>The what-if simulator over the last window's records: one visible team, or everything the principal sees.</summary>
    public async Task<ServiceResult<WhatIfResult>> SimulateAsync(WhatIfInput input, AccessScope scope, CancellationToken ct = default)
    {
        if (!scope.CanReadData)
            return ServiceResult<WhatIfResult>.Denied();
        string name;
        IReadOnlyCollection<int>? teamIds;
        if (input.TeamId is { } teamId)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var team = await db.Teams.AsNoTracking().Where(t => t.Id == teamId).Select(t => t.Name).FirstOrDefaultAsync(ct);
            if (team is null || !scope.CanSeeTeam(teamId))
                return ServiceResult<WhatIfResult>.Invalid("teamId", $"There is no team {teamId} you can see.");
            (name, teamIds) = (team, [teamId]);
        }
        else
            (name, teamIds) = scope.IsOrgWide ? ("the whole organisation", null) : ("your teams", scope.TeamIdList);
        var now = time.GetUtcNow().UtcDateTime;
        var inputs = await loader.LoadSlicesAsync(now.AddDays(-options.Value.WindowDays), now, teamIds, ct);
        return WhatIf.Simulate(inputs, input, options.Value, name);
    }

    /// <summary>Runs the engine now for an admin (it also runs once a day); refused while a run is going, which would find the same.</summary>
    public async Task<ServiceResult<RunResult>> RunAsync(AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            return ServiceResult<RunResult>.Denied();
        return await runner.RunAsync(who, ct) is { } result
            ? ServiceResult<RunResult>.Ok(result)
            : ServiceResult<RunResult>.Invalid("run", "A run is already going: its recommendations appear when it finishes.");
    }

    public Task<ServiceResult<RecommendationRow>> AcceptAsync(long id, AccessScope who, CancellationToken ct = default) =>
        DecideAsync(id, who, "accept", [RecommendationStatus.Open, RecommendationStatus.Expired], r =>
        {
            r.Status = RecommendationStatus.Accepted;
            return $"Accepted (planned): {r.Title}, {Money.Usd(r.MonthlySaving)}/month";
        }, ct);

    public Task<ServiceResult<RecommendationRow>> DismissAsync(long id, string? reason, AccessScope who, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(reason))
            return Task.FromResult(ServiceResult<RecommendationRow>.Invalid("reason", "Say why it is dismissed ('reason'), so the next admin knows."));
        if (reason.Trim().Length > MaxReasonLength)
            return Task.FromResult(ServiceResult<RecommendationRow>.Invalid("reason", $"'reason' must be at most {MaxReasonLength} characters."));
        return DecideAsync(id, who, "dismiss", [RecommendationStatus.Open, RecommendationStatus.Accepted, RecommendationStatus.Expired], r =>
        {
            (r.Status, r.DismissReason, r.DismissedSaving, r.RevivedBecause) = (RecommendationStatus.Dismissed, reason.Trim(), r.MonthlySaving, null);
            return $"Dismissed: {r.Title}, {Money.Usd(r.MonthlySaving)}/month. Reason: {r.DismissReason}";
        }, ct);
    }

    /// <param name="implementedAt">When the change went live (UTC); now when null. Not in the future.</param>
    public Task<ServiceResult<RecommendationRow>> ImplementAsync(long id, DateTime? implementedAt, AccessScope who, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var at = implementedAt is { } d ? DateTime.SpecifyKind(d, DateTimeKind.Utc) : now;
        if (at > now)
            return Task.FromResult(ServiceResult<RecommendationRow>.Invalid("implementedAt", "'implementedAt' cannot be in the future."));
        if (at < now.AddYears(-1))
            return Task.FromResult(ServiceResult<RecommendationRow>.Invalid("implementedAt", "'implementedAt' must be within the last year."));
        // A dismissed one too: the team may have made the change after all, and its saving is then worth measuring.
        return DecideAsync(id, who, "implement", [RecommendationStatus.Open, RecommendationStatus.Accepted, RecommendationStatus.Expired, RecommendationStatus.Dismissed], r =>
        {
            (r.Status, r.ImplementedAt) = (RecommendationStatus.Implemented, at);
            return $"Implemented on {at:yyyy-MM-dd HH:mm} UTC: {r.Title}, estimated {Money.Usd(r.MonthlySaving)}/month";
        }, ct);
    }

    private async Task<ServiceResult<RecommendationRow>> DecideAsync(long id, AccessScope who, string action, RecommendationStatus[] from,
        Func<Recommendation, string> apply, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var r = await db.Recommendations.FirstOrDefaultAsync(x => x.Id == id, ct);
        if (r is null || !who.CanSee(r.TeamId, r.DepartmentId))
            return ServiceResult<RecommendationRow>.Missing();
        if (!who.IsAdmin)
            return ServiceResult<RecommendationRow>.Denied();
        if (!from.Contains(r.Status))
            return ServiceResult<RecommendationRow>.Invalid("status", $"A recommendation that is {r.Status.ToString().ToLowerInvariant()} cannot be {Past(action)}.");
        var before = new { r.Status, r.DismissReason, r.ImplementedAt };
        var now = time.GetUtcNow().UtcDateTime;
        var summary = apply(r);
        (r.DecidedBy, r.DecidedAt, r.UpdatedAt) = (who.Actor, now, now);
        audit.Record(db, who.Actor, $"recommendation.{action}", "Recommendation", r.Id, summary, before, new { r.Status, r.DismissReason, r.ImplementedAt });
        await db.SaveChangesAsync(ct);
        var teams = await db.Teams.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.Name, ct);
        return ServiceResult<RecommendationRow>.Ok(ToRow(r, teams));
    }

    private static string Past(string action) => action switch { "accept" => "accepted", "dismiss" => "dismissed", _ => "implemented" };

    private static async Task<List<Recommendation>> VisibleAsync(QuotaDbContext db, AccessScope scope, CancellationToken ct)
    {
        var q = db.Recommendations.AsNoTracking();
        if (scope.TeamIdList is { } ids)
        {
            var departments = scope.FullDepartmentIds.ToList();
            q = q.Where(r => (r.TeamId != null && ids.Contains(r.TeamId.Value)) || (r.TeamId == null && r.DepartmentId != null && departments.Contains(r.DepartmentId.Value)));
        }
        return await q.ToListAsync(ct);
    }

    /// <summary>The scope's spend over the last window as 30 days, the denominator of the headline's share.</summary>
    private async Task<decimal> MonthlySpendAsync(QuotaDbContext db, AccessScope scope, int? teamId, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var days = options.Value.WindowDays;
        var from = now.AddDays(-days);
        var q = db.UsageRecords.AsNoTracking().Where(r => r.Timestamp >= from && r.Timestamp < now);
        if (scope.TeamIdList is { } ids)
            q = q.Where(r => ids.Contains(r.TeamId));
        if (teamId is { } t)
            q = q.Where(r => r.TeamId == t);
        return SavingMath.PerMonth(Money.FromNanos(await q.SumAsync(r => r.CostNanos, ct)), days);
    }

    internal static RecommendationRow ToRow(Recommendation r, IReadOnlyDictionary<int, string> teams) => new(r.Id, r.Kind, r.Status,
        r.TeamId, r.TeamId is { } t && teams.TryGetValue(t, out var n) ? n : null, r.Title, r.Summary, r.MonthlySaving,
        r.ScopeMonthlySpend <= 0 ? 0 : Math.Round(r.MonthlySaving / r.ScopeMonthlySpend * 100m, 1), r.ScopeMonthlySpend, r.Confidence, r.EffortHours,
        r.Provider, r.Model, r.ApiMethod, r.AgentId, r.Target, r.BudgetId, r.CreatedAt, r.UpdatedAt, r.DecidedBy, r.DecidedAt, r.DismissReason,
        r.ImplementedAt, r.RevivedBecause);
}
