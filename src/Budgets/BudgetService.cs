using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuotaPortal.Audit;
using QuotaPortal.Data;
using QuotaPortal.Kernel;

namespace QuotaPortal.Budgets;

/// <param name="Team">The team's slug; another way to say <paramref name="TeamId"/> (if both are sent they must name the same team).</param>
/// <param name="Department">The department's slug; another way to say <paramref name="DepartmentId"/>.</param>
/// <param name="Thresholds">Alert thresholds in percent of the limit: a JSON array (<c>[80, 95, 100]</c>) or the older comma string.</param>
public sealed record BudgetInput(string Name, int? DepartmentId, int? TeamId, string? Provider, string? Model, string? AgentId,
    BudgetMetric Metric, decimal Limit, BudgetPeriod Period, int? RollingWindowMinutes, string? TimeZone,
    [property: JsonConverter(typeof(ThresholdsJsonConverter))] string? Thresholds,
    decimal? ForecastThresholdPercent, EnforcementMode Enforcement, string? FallbackModel, bool IsActive = true,
    string? Team = null, string? Department = null) : IHasExample<BudgetInput>
{
    public static BudgetInput Example => new("Search monthly", null, null, "openai", null, null, BudgetMetric.Cost, 500, BudgetPeriod.Monthly, null,
        "Europe/Berlin", "80,95,100", 110, EnforcementMode.Warn, "gpt-4o-mini", Team: "search");
}

public enum BudgetStatus { Normal, Warning, Critical, Exceeded }

public sealed record BudgetView(int Id, string Name, string Scope, int? DepartmentId, int? TeamId, string? Provider, string? Model, string? AgentId,
    BudgetMetric Metric, decimal Limit, BudgetPeriod Period, int? RollingWindowMinutes, string TimeZone, IReadOnlyList<decimal> Thresholds,
    decimal? ForecastThresholdPercent, EnforcementMode Enforcement, string? FallbackModel, bool IsActive, decimal Spent, DateTime PeriodStartUtc,
    DateTime PeriodEndUtc, BudgetStatus Status)
{
    /// <summary>The team's slug (set by the API, so that what GET returns can be sent back to PUT).</summary>
    public string? Team { get; init; }
    /// <summary>The department's slug (set by the API).</summary>
    public string? Department { get; init; }

    public decimal PercentUsed => Limit == 0 ? 0 : Spent / Limit * 100;
    public decimal Remaining => Math.Max(0, Limit - Spent);
}

/// <summary>Budgets: validation, audited changes, and each budget's spend in its current period.</summary>
public sealed class BudgetService(IDbContextFactory<QuotaDbContext> dbFactory, AuditLog audit, TimeProvider time, IOptions<PortalOptions> portal)
{
    public static readonly decimal[] DefaultThresholds = [80, 95, 100];

    /// <summary>
    /// The budgets the caller may see (a team-limited one: its teams' budgets and those of departments it fully covers), with their
    /// spend: the same few queries for 3 budgets or 300 (see <see cref="SpendBatch"/>).
    /// </summary>
    public async Task<IReadOnlyList<BudgetView>> ListAsync(AccessScope scope, CancellationToken ct = default)
    {
        if (!scope.CanReadData)
            return [];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var budgets = (await db.Budgets.AsNoTracking().OrderBy(b => b.Name).ToListAsync(ct)).Where(b => scope.CanSee(b.TeamId, b.DepartmentId)).ToList();
        return await ViewsAsync(db, budgets, ct);
    }

    /// <summary>Null when missing or outside the caller's scope (the two look the same, so ids reveal nothing).</summary>
    public async Task<BudgetView?> GetAsync(int id, AccessScope scope, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var b = await db.Budgets.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        return b is null || !scope.CanReadData || !scope.CanSee(b.TeamId, b.DepartmentId) ? null : (await ViewsAsync(db, [b], ct))[0];
    }

    /// <summary>The current period's burn-down of a budget the caller may see; null otherwise.</summary>
    public async Task<BurnDown?> BurnDownAsync(int id, AccessScope scope, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var b = await db.Budgets.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (b is null || !scope.CanReadData || !scope.CanSee(b.TeamId, b.DepartmentId))
            return null;
        return await BudgetBurnDown.ComputeAsync(db, b, time.GetUtcNow().UtcDateTime, ct);
    }

    public async Task<ServiceResult<BudgetView>> SaveAsync(int? id, BudgetInput input, AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            return ServiceResult<BudgetView>.Denied();
        var actor = who.Actor;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (errors, thresholds) = await ValidateAsync(db, input, ct);
        var (teamId, departmentId) = await ResolveScopeAsync(db, input, errors, ct);
        if (errors.Any)
            return ServiceResult<BudgetView>.Invalid(errors.ToDictionary());
        var budget = id is null ? new Budget { Name = "", CreatedAt = time.GetUtcNow().UtcDateTime } : await db.Budgets.FirstOrDefaultAsync(b => b.Id == id, ct);
        if (budget is null)
            return ServiceResult<BudgetView>.Missing();
        var before = id is null ? null : Snapshot(budget);
        budget.Name = input.Name.Trim();
        budget.DepartmentId = departmentId;
        budget.TeamId = teamId;
        budget.Provider = Blank(input.Provider)?.ToLowerInvariant();
        budget.Model = Blank(input.Model);
        budget.AgentId = Blank(input.AgentId);
        budget.Metric = input.Metric;
        budget.Limit = input.Limit;
        budget.Period = input.Period;
        budget.RollingWindowMinutes = input.Period == BudgetPeriod.Rolling ? input.RollingWindowMinutes : null;
        budget.TimeZone = Blank(input.TimeZone) ?? portal.Value.DefaultTimeZone;
        budget.Thresholds = string.Join(",", thresholds.Select(t => t.ToString(CultureInfo.InvariantCulture)));
        budget.ForecastThresholdPercent = input.ForecastThresholdPercent;
        budget.Enforcement = input.Enforcement;
        budget.FallbackModel = Blank(input.FallbackModel);
        budget.IsActive = input.IsActive;
        budget.UpdatedAt = time.GetUtcNow().UtcDateTime;
        if (id is null)
            db.Budgets.Add(budget);
        await db.SaveChangesAsync(ct);
        audit.Record(db, actor, id is null ? "budget.create" : "budget.update", "Budget", budget.Id,
            $"{(id is null ? "Created" : "Updated")} budget {budget.Name}: {Describe(budget)}", before, Snapshot(budget));
        await db.SaveChangesAsync(ct);
        return ServiceResult<BudgetView>.Ok((await GetAsync(budget.Id, who, ct))!);
    }

    public async Task<ServiceResult<bool>> DeleteAsync(int id, AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            return ServiceResult<bool>.Denied();
        var actor = who.Actor;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var budget = await db.Budgets.FirstOrDefaultAsync(b => b.Id == id, ct);
        if (budget is null)
            return ServiceResult<bool>.Missing();
        db.Budgets.Remove(budget);
        audit.Record(db, actor, "budget.delete", "Budget", id, $"Deleted budget {budget.Name}", before: Snapshot(budget));
        await db.SaveChangesAsync(ct);
        return ServiceResult<bool>.Ok(true);
    }

    public static IReadOnlyList<decimal> ParseThresholds(string csv) =>
        csv.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => decimal.Parse(t, CultureInfo.InvariantCulture)).Order().ToList();

    public static BudgetStatus StatusOf(decimal percentUsed, IReadOnlyList<decimal> thresholds) => BudgetSeverity.StatusOf(percentUsed, thresholds);

    private async Task<List<BudgetView>> ViewsAsync(QuotaDbContext db, IReadOnlyList<Budget> budgets, CancellationToken ct)
    {
        if (budgets.Count == 0)
            return [];
        var names = await ScopeNamesAsync(db, ct);
        var now = time.GetUtcNow().UtcDateTime;
        var windows = budgets.Select(b => (Budget: b, Window: BudgetPeriods.Current(b.Period, b.TimeZone, now, b.RollingWindowMinutes))).ToList();
        var spent = await SpendBatch.SpendAsync(db, windows, await TeamDepartmentsAsync(db, ct), ct);
        return windows.Select((w, i) => View(w.Budget, names, w.Window, spent[i])).ToList();
    }

    private static BudgetView View(Budget b, ScopeNames names, PeriodWindow window, decimal spent)
    {
        var thresholds = ParseThresholds(b.Thresholds);
        var pct = b.Limit == 0 ? 0 : spent / b.Limit * 100;
        return new BudgetView(b.Id, b.Name, names.Describe(b), b.DepartmentId, b.TeamId, b.Provider, b.Model, b.AgentId, b.Metric, b.Limit, b.Period,
            b.RollingWindowMinutes, b.TimeZone, thresholds, b.ForecastThresholdPercent, b.Enforcement, b.FallbackModel, b.IsActive, spent,
            window.StartUtc, window.EndUtc, StatusOf(pct, thresholds));
    }

    internal static async Task<Dictionary<int, int?>> TeamDepartmentsAsync(QuotaDbContext db, CancellationToken ct) =>
        await db.Teams.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.DepartmentId, ct);

    public sealed record ScopeNames(Dictionary<int, string> Teams, Dictionary<int, string> Departments)
    {
        public string Describe(Budget b)
        {
            var parts = new List<string>();
            if (b.DepartmentId is { } d) parts.Add($"department {Departments.GetValueOrDefault(d, $"#{d}")}");
            if (b.TeamId is { } t) parts.Add($"team {Teams.GetValueOrDefault(t, $"#{t}")}");
            if (b.Provider is not null) parts.Add(b.Provider);
            if (b.Model is not null) parts.Add($"model {b.Model}");
            if (b.AgentId is not null) parts.Add($"agent {b.AgentId}");
            return parts.Count == 0 ? "everything (global)" : string.Join(" · ", parts);
        }
    }

    internal static async Task<ScopeNames> ScopeNamesAsync(QuotaDbContext db, CancellationToken ct) => new(
        await db.Teams.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.Name, ct),
        await db.Departments.AsNoTracking().ToDictionaryAsync(d => d.Id, d => d.Name, ct));

    private static async Task<(FieldErrors, List<decimal>)> ValidateAsync(QuotaDbContext db, BudgetInput input, CancellationToken ct)
    {
        var errors = new FieldErrors().Require("name", input.Name, 120);
        if (!Enum.IsDefined(input.Metric))
            errors.Add("metric", $"'metric' must be one of: {string.Join(", ", Enum.GetNames<BudgetMetric>())}.");
        if (!Enum.IsDefined(input.Period))
            errors.Add("period", $"'period' must be one of: {string.Join(", ", Enum.GetNames<BudgetPeriod>())}.");
        if (!Enum.IsDefined(input.Enforcement))
            errors.Add("enforcement", $"'enforcement' must be one of: {string.Join(", ", Enum.GetNames<EnforcementMode>())}.");
        if (input.Limit <= 0)
            errors.Add("limit", "'limit' must be greater than 0.");
        if (input.Metric != BudgetMetric.Cost && input.Limit != decimal.Truncate(input.Limit))
            errors.Add("limit", "A token or request limit is a whole number.");
        if (input.Period == BudgetPeriod.Rolling && input.RollingWindowMinutes is not (>= 1 and <= 60 * 24 * 31))
            errors.Add("rollingWindowMinutes", "A rolling budget needs 'rollingWindowMinutes' between 1 and 44,640 (31 days).");
        if (!string.IsNullOrWhiteSpace(input.TimeZone) && !TimeZoneInfo.TryFindSystemTimeZoneById(input.TimeZone.Trim(), out _))
            errors.Add("timeZone", $"'{input.TimeZone}' is not a known IANA time zone (e.g. Europe/Berlin).");
        if (input.ForecastThresholdPercent is <= 0 or > 1000)
            errors.Add("forecastThresholdPercent", "'forecastThresholdPercent' must be above 0 and at most 1000.");
        var thresholds = new List<decimal>();
        foreach (var part in (string.IsNullOrWhiteSpace(input.Thresholds) ? "80,95,100" : input.Thresholds).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!decimal.TryParse(part.TrimEnd('%'), NumberStyles.Number, CultureInfo.InvariantCulture, out var t) || t <= 0 || t > 1000)
                errors.Add("thresholds", $"Threshold '{part}' must be a percentage above 0 and at most 1000.");
            else
                thresholds.Add(t);
        }
        if (thresholds.Count == 0 && !errors.Any)
            errors.Add("thresholds", "At least one threshold is needed.");
        return (errors, thresholds.Distinct().Order().ToList());
    }

    /// <summary>Team and department by id or by slug (what GET returns carries both); when both forms are sent they must agree.</summary>
    private static async Task<(int? TeamId, int? DepartmentId)> ResolveScopeAsync(QuotaDbContext db, BudgetInput input, FieldErrors errors,
        CancellationToken ct)
    {
        var teamId = input.TeamId;
        if (teamId is { } team && !await db.Teams.AnyAsync(t => t.Id == team, ct))
            errors.Add("teamId", $"Team {team} does not exist.");
        if (Blank(input.Team) is { } teamSlug)
            teamId = Agree(errors, "team", "teamId", teamSlug, teamId,
                await db.Teams.Where(t => t.Slug == teamSlug).Select(t => (int?)t.Id).FirstOrDefaultAsync(ct));
        var departmentId = input.DepartmentId;
        if (departmentId is { } dept && !await db.Departments.AnyAsync(d => d.Id == dept, ct))
            errors.Add("departmentId", $"Department {dept} does not exist.");
        if (Blank(input.Department) is { } deptSlug)
            departmentId = Agree(errors, "department", "departmentId", deptSlug, departmentId,
                await db.Departments.Where(d => d.Slug == deptSlug).Select(d => (int?)d.Id).FirstOrDefaultAsync(ct));
        if (teamId is not null && departmentId is not null)
            errors.Add("departmentId", "Choose a team or a department, not both (a department budget pools its teams).");
        return (teamId, departmentId);
    }

    private static int? Agree(FieldErrors errors, string slugField, string idField, string slug, int? byId, int? bySlug)
    {
        if (bySlug is null)
            errors.Add(slugField, $"No {slugField} with slug '{slug}'.");
        else if (byId is not null && byId != bySlug)
            errors.Add(slugField, $"'{slugField}' ('{slug}') and '{idField}' ({byId}) name different {slugField}s: send one of them.");
        return bySlug ?? byId;
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private static string Describe(Budget b) =>
        $"{BudgetAmount.Format(b.Metric, b.Limit)} per {(b.Period == BudgetPeriod.Rolling ? $"{b.RollingWindowMinutes} min rolling window" : PeriodNoun(b.Period))}";

    private static string PeriodNoun(BudgetPeriod p) => p switch
    {
        BudgetPeriod.Daily => "day", BudgetPeriod.Weekly => "week", BudgetPeriod.Monthly => "month", BudgetPeriod.Quarterly => "quarter", _ => "year",
    };

    private static object Snapshot(Budget b) => new
    {
        b.Name, b.DepartmentId, b.TeamId, b.Provider, b.Model, b.AgentId, b.Metric, b.Limit, b.Period, b.RollingWindowMinutes, b.TimeZone,
        b.Thresholds, b.ForecastThresholdPercent, b.Enforcement, b.FallbackModel, b.IsActive,
    };
}

public sealed record BurnDown(IReadOnlyList<string> Labels, IReadOnlyList<double?> Spent, IReadOnlyList<double> Pace, double Limit);

public static class BudgetBurnDown
{
    /// <summary>Cumulative spend per slice of the current period (up to now), the straight-line pace, and the limit.</summary>
    public static async Task<BurnDown> ComputeAsync(QuotaDbContext db, Budget b, DateTime nowUtc, CancellationToken ct = default)
    {
        var window = BudgetPeriods.Current(b.Period, b.TimeZone, nowUtc, b.RollingWindowMinutes);
        var slices = Slices(b, window);
        var past = slices.Where(s => s.Start <= nowUtc).Select(s => (b, new PeriodWindow(s.Start, s.End < nowUtc ? s.End : nowUtc))).ToList();
        var perSlice = await SpendBatch.SpendAsync(db, past, await BudgetService.TeamDepartmentsAsync(db, ct), ct);
        var spent = new List<double?>(slices.Count);
        decimal cumulative = 0;
        for (var i = 0; i < slices.Count; i++)
        {
            cumulative += i < perSlice.Length ? perSlice[i] : 0;
            spent.Add(i < perSlice.Length ? (double)cumulative : null);
        }
        var total = (window.EndUtc - window.StartUtc).TotalSeconds;
        var pace = slices.Select(s => (double)b.Limit * (s.End - window.StartUtc).TotalSeconds / total).ToList();
        return new BurnDown(slices.Select(s => s.Label).ToList(), spent, pace, (double)b.Limit);
    }

    /// <summary>The period cut into hours (daily), days (weekly, monthly), weeks (quarterly), months (yearly) or twelfths (rolling).</summary>
    private static List<(DateTime Start, DateTime End, string Label)> Slices(Budget b, PeriodWindow window)
    {
        var zone = BudgetPeriods.Zone(b.TimeZone);
        var slices = new List<(DateTime Start, DateTime End, string Label)>();
        var localStart = TimeZoneInfo.ConvertTimeFromUtc(window.StartUtc, zone);
        (Func<DateTime, DateTime> next, string format) = b.Period switch
        {
            BudgetPeriod.Daily => ((Func<DateTime, DateTime>)(d => d.AddHours(1)), "HH:mm"),
            BudgetPeriod.Weekly or BudgetPeriod.Monthly => (d => d.AddDays(1), "MMM d"),
            BudgetPeriod.Quarterly => (d => d.AddDays(7), "MMM d"),
            BudgetPeriod.Yearly => (d => d.AddMonths(1), "MMM"),
            _ => (d => d.AddMinutes(Math.Max(1, (b.RollingWindowMinutes ?? 60) / 12.0)), "HH:mm"),
        };
        for (var local = localStart; ;)
        {
            var nextLocal = next(local);
            var start = b.Period == BudgetPeriod.Rolling ? local : BudgetPeriods.ToUtc(local, zone);
            var end = b.Period == BudgetPeriod.Rolling ? nextLocal : BudgetPeriods.ToUtc(nextLocal, zone);
            if (b.Period == BudgetPeriod.Rolling)
            {
                start = window.StartUtc + (local - localStart);
                end = window.StartUtc + (nextLocal - localStart);
            }
            if (start >= window.EndUtc)
                break;
            slices.Add((start, end > window.EndUtc ? window.EndUtc : end, local.ToString(format, CultureInfo.InvariantCulture)));
            local = nextLocal;
        }
        return slices;
    }
}
