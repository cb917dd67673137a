using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuotaPortal.Data;
using QuotaPortal.Kernel;

namespace QuotaPortal.Billing;

/// <summary>What to reconcile: UTC days (the providers bill in UTC days), both inclusive.</summary>
public sealed record ReconciliationQuery(DateOnly From, DateOnly To, string? Provider = null, int? TeamId = null);

/// <summary>
/// Billed against tracked for one provider and UTC day (or a team, a project, a model, or the whole range).
/// Drift = tracked − billed (negative: the provider billed more than the portal saw); coverage = tracked ÷ billed;
/// untracked = max(0, billed − tracked), the part of the invoice the portal never heard of.
/// </summary>
public sealed record ReconciliationFigures(decimal Billed, decimal Tracked, long BilledTokens, long TrackedTokens)
{
    public decimal Drift => Tracked - Billed;
    /// <summary>Drift as a share of billed (0.05 = 5 %); null when nothing was billed.</summary>
    public decimal? DriftShare => Billed == 0 ? null : decimal.Round(Drift / Billed, 6);
    /// <summary>Tracked ÷ billed (1 = every billed dollar was tracked); null when nothing was billed.</summary>
    public decimal? Coverage => Billed == 0 ? null : decimal.Round(Tracked / Billed, 6);
    public decimal Untracked => Math.Max(0, Billed - Tracked);

    public static readonly ReconciliationFigures Zero = new(0, 0, 0, 0);

    public ReconciliationFigures Plus(ReconciliationFigures o) =>
        new(Billed + o.Billed, Tracked + o.Tracked, BilledTokens + o.BilledTokens, TrackedTokens + o.TrackedTokens);
}

/// <param name="Settled">Older than the settle window: the provider's figure should not move any more (drift alerts wait for it).</param>
public sealed record ReconciliationDay(string Provider, DateOnly Day, ReconciliationFigures Figures, bool Settled);

public sealed record ReconciliationTeam(int TeamId, string Team, string Slug, ReconciliationFigures Figures);

/// <summary>A provider project (workspace) and what it was billed; <paramref name="TeamTracked"/> is what its team tracked on that provider.</summary>
/// <param name="Untracked">Billed with nothing tracked for it: unmapped, or mapped to a team that reported no usage of this provider.</param>
public sealed record ReconciliationProject(int ConnectionId, string Provider, string ProjectId, string? Name, int? TeamId, string? Team, decimal Billed,
    decimal TeamTracked, bool Untracked);

public sealed record ReconciliationModel(string Provider, string Model, ReconciliationFigures Figures);

/// <summary>The implied price per 1M tokens where billed and tracked tokens agree but the cost does not.</summary>
public sealed record PricingCheck(string Provider, string Model, long Tokens, decimal Billed, decimal Tracked, decimal BilledPerMillion,
    decimal TrackedPerMillion)
{
    /// <summary>Billed ÷ tracked: the factor the catalog's prices for this model are off by (the pricing fix multiplies them by it).</summary>
    public decimal? Factor => Tracked > 0 ? decimal.Round(Billed / Tracked, 6) : null;
}

/// <param name="Connected">Whether any billing connection exists (without one there is nothing to reconcile).</param>
/// <param name="Teams">Teams with at least one mapped project (a team without one has nothing billed to compare with).</param>
/// <param name="Unattributed">Billed to projects not mapped to any team (org-wide readers only).</param>
/// <param name="TrackedWithoutProject">Tracked on these providers by teams no project is mapped to: map their projects to compare them.</param>
public sealed record Reconciliation(DateOnly From, DateOnly To, string? Provider, bool Connected, ReconciliationFigures Total,
    IReadOnlyList<ReconciliationDay> Days, IReadOnlyList<ReconciliationTeam> Teams, IReadOnlyList<ReconciliationProject> Projects,
    IReadOnlyList<ReconciliationModel> Models, IReadOnlyList<PricingCheck> PricingChecks, decimal Unattributed, IReadOnlyList<string> Providers,
    decimal TrackedWithoutProject = 0)
{
    /// <summary>The reconciled providers as people write them: "OpenAI and Anthropic".</summary>
    public string ProviderNames => string.Join(" and ", Days.Select(d => d.Provider).Distinct().Select(BillingProviders.DisplayName));
}

/// <summary>
/// The one definition of billed-versus-tracked: the reconciliation page, its API and CSV, the dashboard's "billed" line and the drift
/// alert all read it. Billed comes from the cost lines pulled from the providers (UTC days); tracked from the same daily rollups the
/// dashboard sums, for the same provider and UTC day. Tokens billed are the provider's daily usage buckets (hourly ones for a day with
/// no daily bucket yet, never both); tokens tracked are input + output tokens.
/// A team-limited reader sees only the projects mapped to its teams and its teams' tracked spend: an org-wide provider total is every
/// team's money.
/// </summary>
public sealed class ReconciliationService(IDbContextFactory<QuotaDbContext> dbFactory, TimeProvider time, IOptions<BillingOptions> options)
{
    public const int MaxDays = 366;

    public static IDictionary<string, string[]>? Validate(DateOnly? from, DateOnly? to, string? provider)
    {
        var errors = new FieldErrors();
        if (from is null)
            errors.Add("from", "'from' is required (yyyy-MM-dd, a UTC day).");
        if (to is null)
            errors.Add("to", "'to' is required (yyyy-MM-dd, a UTC day, inclusive).");
        if (from is { } f && to is { } t && (t < f || t.DayNumber - f.DayNumber >= MaxDays))
            errors.Add("to", $"'to' must be on or after 'from' and at most {MaxDays} days later.");
        if (provider is not null && !BillingProviders.All.Contains(provider))
            errors.Add("provider", $"'provider' must be one of {string.Join(", ", BillingProviders.All)}.");
        return errors.Any ? errors.ToDictionary() : null;
    }

    private sealed record BilledLine(int ConnectionId, string Provider, DateOnly Day, string ProjectId, string Model, decimal Amount, int? TeamId);

    private sealed record TokenLine(string Provider, DateOnly Day, string Model, long Tokens, int? TeamId);

    private sealed record TrackedLine(string Provider, DateOnly Day, int TeamId, string Model, decimal Cost, long Tokens);

    private sealed record TeamName(int Id, string Name, string Slug);

    /// <summary>Everything one reconciliation reads, already limited to what the reader may see.</summary>
    private sealed record Facts(List<BilledLine> Billed, List<TokenLine> Tokens, List<TrackedLine> Tracked, List<BillingProject> Projects,
        Dictionary<int, TeamName> Teams, HashSet<int> MappedTeams);

    public async Task<Reconciliation> GetAsync(ReconciliationQuery q, AccessScope scope, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var connections = await db.BillingConnections.AsNoTracking().Select(c => new { c.Id, c.Provider }).ToListAsync(ct);
        var providers = connections.Select(c => c.Provider).Distinct().Order(StringComparer.Ordinal).ToList();
        var empty = new Reconciliation(q.From, q.To, q.Provider, connections.Count > 0, ReconciliationFigures.Zero, [], [], [], [], [], 0, providers);
        if (!scope.CanReadData || (q.TeamId is { } only && !scope.CanSeeTeam(only)))
            return empty with { Connected = false };
        var wanted = connections.Where(c => q.Provider is null || c.Provider == q.Provider).ToList();
        if (wanted.Count == 0)
            return empty;
        var wantedProviders = wanted.Select(c => c.Provider).Distinct().Order(StringComparer.Ordinal).ToList();
        // Which teams' money this reader may see, and this query asks for: null = every team and the unattributed projects.
        HashSet<int>? teamFilter = q.TeamId is { } t ? [t] : scope.TeamIds is { } ts ? [.. ts] : null;
        var facts = await ReadAsync(db, q, [.. wanted.Select(c => c.Id)], wantedProviders, teamFilter, ct);

        var days = Days(q, facts, wantedProviders);
        var total = days.Aggregate(ReconciliationFigures.Zero, (a, d) => a.Plus(d.Figures));
        var projectRows = Projects(facts);
        var modelRows = Models(facts);
        return new Reconciliation(q.From, q.To, q.Provider, true, total, days, Teams(facts), projectRows, modelRows, PricingChecks(modelRows),
            teamFilter is null ? projectRows.Where(p => p.TeamId is null).Sum(p => p.Billed) : 0, providers,
            facts.Tracked.Where(r => !facts.MappedTeams.Contains(r.TeamId)).Sum(r => r.Cost));
    }

    private static async Task<Facts> ReadAsync(QuotaDbContext db, ReconciliationQuery q, List<int> connectionIds, List<string> providers,
        HashSet<int>? teamFilter, CancellationToken ct)
    {
        bool Visible(int? teamId) => teamFilter is null || (teamId is { } id && teamFilter.Contains(id));
        var projects = await db.BillingProjects.AsNoTracking().Where(p => connectionIds.Contains(p.ConnectionId)).ToListAsync(ct);
        var teamOf = projects.ToDictionary(p => (p.ConnectionId, p.ProjectId), p => p.TeamId);
        var teams = await db.Teams.AsNoTracking().Select(x => new TeamName(x.Id, x.Name, x.Slug)).ToDictionaryAsync(x => x.Id, ct);

        // Billed: decimal sums are done here (SQLite cannot sum decimals); a range holds days × projects × line items, a few thousand rows.
        var billed = (await db.BillingCostLines.AsNoTracking()
                .Where(l => connectionIds.Contains(l.ConnectionId) && l.Day >= q.From && l.Day <= q.To)
                .Select(l => new { l.ConnectionId, l.Provider, l.Day, l.ProjectId, l.Model, l.AmountUsd })
                .ToListAsync(ct))
            .Select(l => new BilledLine(l.ConnectionId, l.Provider, l.Day, l.ProjectId, l.Model, l.AmountUsd, teamOf.GetValueOrDefault((l.ConnectionId, l.ProjectId))))
            .Where(l => Visible(l.TeamId))
            .ToList();

        var fromUtc = q.From.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var toUtc = q.To.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var usageLines = await db.BillingUsageLines.AsNoTracking()
            .Where(l => connectionIds.Contains(l.ConnectionId) && l.BucketStart >= fromUtc && l.BucketStart < toUtc)
            .Select(l => new { l.ConnectionId, l.Provider, l.BucketStart, l.BucketWidth, l.ProjectId, l.Model, Tokens = l.InputTokens + l.OutputTokens })
            .ToListAsync(ct);
        // A day's daily buckets when the provider has them (settled days), its hourly ones otherwise (today): never both.
        var dailyDays = usageLines.Where(l => l.BucketWidth == "1d").Select(l => (l.ConnectionId, DateOnly.FromDateTime(l.BucketStart))).ToHashSet();
        var tokens = usageLines
            .Where(l => l.BucketWidth == "1d" || !dailyDays.Contains((l.ConnectionId, DateOnly.FromDateTime(l.BucketStart))))
            .Select(l => new TokenLine(l.Provider, DateOnly.FromDateTime(l.BucketStart), l.Model, l.Tokens, teamOf.GetValueOrDefault((l.ConnectionId, l.ProjectId))))
            .Where(l => Visible(l.TeamId))
            .ToList();

        var trackedQuery = db.UsageDaily.AsNoTracking().Where(r => providers.Contains(r.Provider) && r.BucketStart >= fromUtc && r.BucketStart < toUtc);
        if (teamFilter is not null)
        {
            var ids = teamFilter.ToList();
            trackedQuery = trackedQuery.Where(r => ids.Contains(r.TeamId));
        }
        var tracked = (await trackedQuery
                .GroupBy(r => new { r.Provider, r.BucketStart, r.TeamId, r.Model })
                .Select(g => new { g.Key.Provider, g.Key.BucketStart, g.Key.TeamId, g.Key.Model, CostNanos = g.Sum(r => r.CostNanos),
                    Tokens = g.Sum(r => r.InputTokens + r.OutputTokens) })
                .ToListAsync(ct))
            .Select(r => new TrackedLine(r.Provider, DateOnly.FromDateTime(r.BucketStart), r.TeamId, r.Model, Money.FromNanos(r.CostNanos), r.Tokens))
            .ToList();
        var mapped = projects.Where(p => p.TeamId is { } id && Visible(id)).Select(p => p.TeamId!.Value).ToHashSet();
        return new Facts(billed, tokens, tracked, projects, teams, mapped);
    }

    private static ReconciliationFigures Figures(IEnumerable<BilledLine> billed, IEnumerable<TokenLine> tokens, IEnumerable<TrackedLine> tracked)
    {
        var t = tracked.ToList();
        return new(billed.Sum(l => l.Amount), t.Sum(r => r.Cost), tokens.Sum(l => l.Tokens), t.Sum(r => r.Tokens));
    }

    private List<ReconciliationDay> Days(ReconciliationQuery q, Facts f, List<string> providers)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var settledBefore = today.AddDays(-options.Value.SettleDays);
        var billed = f.Billed.ToLookup(l => (l.Provider, l.Day));
        var tokens = f.Tokens.ToLookup(l => (l.Provider, l.Day));
        var tracked = f.Tracked.ToLookup(r => (r.Provider, r.Day));
        var days = new List<ReconciliationDay>();
        foreach (var provider in providers)
            for (var day = q.From; day <= q.To; day = day.AddDays(1))
            {
                var figures = Figures(billed[(provider, day)], tokens[(provider, day)], tracked[(provider, day)]);
                if (figures != ReconciliationFigures.Zero || day <= today)
                    days.Add(new ReconciliationDay(provider, day, figures, day < settledBefore));
            }
        return days;
    }

    /// <summary>Teams with a mapped project: what was billed to their projects against their own tracked spend on the same providers.</summary>
    private static List<ReconciliationTeam> Teams(Facts f) => f.MappedTeams
        .Where(f.Teams.ContainsKey)
        .Select(id => new ReconciliationTeam(id, f.Teams[id].Name, f.Teams[id].Slug,
            Figures(f.Billed.Where(l => l.TeamId == id), f.Tokens.Where(l => l.TeamId == id), f.Tracked.Where(r => r.TeamId == id))))
        .OrderByDescending(r => r.Figures.Untracked).ThenByDescending(r => r.Figures.Billed).ThenBy(r => r.Team, StringComparer.Ordinal)
        .ToList();

    private static List<ReconciliationProject> Projects(Facts f)
    {
        var trackedByTeamProvider = f.Tracked.GroupBy(r => (r.TeamId, r.Provider)).ToDictionary(g => g.Key, g => g.Sum(r => r.Cost));
        var projectName = f.Projects.ToDictionary(p => (p.ConnectionId, p.ProjectId), p => p.Name);
        return f.Billed
            .GroupBy(l => (l.ConnectionId, l.Provider, l.ProjectId, l.TeamId))
            .Select(g =>
            {
                var teamTracked = g.Key.TeamId is { } id ? trackedByTeamProvider.GetValueOrDefault((id, g.Key.Provider)) : 0m;
                var amount = g.Sum(l => l.Amount);
                return new ReconciliationProject(g.Key.ConnectionId, g.Key.Provider, g.Key.ProjectId, projectName.GetValueOrDefault((g.Key.ConnectionId, g.Key.ProjectId)),
                    g.Key.TeamId, g.Key.TeamId is { } tid && f.Teams.TryGetValue(tid, out var team) ? team.Name : null, amount, teamTracked,
                    Untracked: amount > 0 && teamTracked == 0);
            })
            .OrderByDescending(p => p.Untracked).ThenByDescending(p => p.Billed).ThenBy(p => p.ProjectId, StringComparer.Ordinal)
            .ToList();
    }

    private static List<ReconciliationModel> Models(Facts f) => f.Billed.Select(l => (l.Provider, l.Model)).Concat(f.Tracked.Select(r => (r.Provider, r.Model)))
        .Where(k => k.Model != "")
        .Distinct()
        .Select(k => new ReconciliationModel(k.Provider, k.Model, Figures(f.Billed.Where(l => l.Provider == k.Provider && l.Model == k.Model),
            f.Tokens.Where(l => l.Provider == k.Provider && l.Model == k.Model), f.Tracked.Where(r => r.Provider == k.Provider && r.Model == k.Model))))
        .OrderByDescending(m => Math.Abs(m.Figures.Drift)).ThenBy(m => m.Model, StringComparer.Ordinal)
        .ToList();

    /// <summary>
    /// Models whose billed and tracked tokens agree within 2 % while the costs differ by more than 2 % and $1: the tokens were counted
    /// right, so the price is what differs. Shows the price per 1M tokens each side implies.
    /// </summary>
    private static List<PricingCheck> PricingChecks(IEnumerable<ReconciliationModel> models) => models
        .Where(m => m.Figures is { BilledTokens: > 0, TrackedTokens: > 0, Billed: > 0 }
            && Math.Abs(m.Figures.BilledTokens - m.Figures.TrackedTokens) <= m.Figures.BilledTokens * 0.02
            && Math.Abs(m.Figures.Drift) > Math.Max(1m, m.Figures.Billed * 0.02m))
        .Select(m => new PricingCheck(m.Provider, m.Model, m.Figures.BilledTokens, m.Figures.Billed, m.Figures.Tracked,
            decimal.Round(m.Figures.Billed / m.Figures.BilledTokens * 1_000_000m, 4), decimal.Round(m.Figures.Tracked / m.Figures.TrackedTokens * 1_000_000m, 4)))
        .ToList();
}
