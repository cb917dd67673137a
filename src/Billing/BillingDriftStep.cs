using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuotaPortal.Alerts;
using QuotaPortal.Data;
using QuotaPortal.Kernel;

namespace QuotaPortal.Billing;

/// <summary>When billed and tracked spend differ enough to raise an alert (section Billing:Alerts).</summary>
public sealed class BillingAlertOptions
{
    public const string Section = "Billing:Alerts";

    /// <summary>A settled provider-day raises a drift alert when |tracked − billed| is at least this share of billed…</summary>
    [Range(0.1, 100)] public decimal DriftPercent { get; set; } = 5m;

    /// <summary>…and at least this many dollars (both must hold, so a $0.40 day 30 % off stays quiet).</summary>
    [Range(0, 1_000_000)] public decimal DriftUsd { get; set; } = 10m;

    /// <summary>A settled provider-day raises an untracked-spend alert when projects with no tracked usage at all were billed at least this much.</summary>
    [Range(0.01, 1_000_000)] public decimal UntrackedUsd { get; set; } = 10m;

    /// <summary>Settled days looked at on each check (the newest ones; older alerts stay as they are).</summary>
    [Range(1, 90)] public int LookbackDays { get; set; } = 14;

    /// <summary>Minutes between checks: billing data moves at most hourly, so the step skips the ticks in between.</summary>
    [Range(1, 1440)] public int CheckEveryMinutes { get; set; } = 10;
}

/// <summary>
/// The evaluation step for reconciliation: each settled provider-day (older than Billing:SettleDays, so late-settling costs have
/// landed) whose drift passes both thresholds raises one alert, and one more when projects nobody reports usage for were billed.
/// A re-pull that brings a day back within the thresholds resolves its alert; an open alert always shows the day as it is now.
/// The figures are <see cref="ReconciliationService"/>'s: the alert and the reconciliation page say the same numbers.
/// </summary>
public sealed class BillingDriftStep(IDbContextFactory<QuotaDbContext> dbFactory, ReconciliationService reconciliation, AlertWriter writer,
    TimeProvider time, IOptions<BillingOptions> billing, IOptions<BillingAlertOptions> options) : IEvaluationStep
{
    public const string DriftKeyPrefix = "billing-drift:";
    public const string UntrackedKeyPrefix = "billing-untracked:";

    private DateTime? lastCheck;

    public string Name => "billing drift";

    public async Task<EvaluationStepResult> RunAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (lastCheck is { } last && now - last < TimeSpan.FromMinutes(options.Value.CheckEveryMinutes))
            return new EvaluationStepResult($"checked {last:HH:mm} UTC");
        var write = await EvaluateAsync(ct);
        lastCheck = now;
        writer.Publish([write]);
        return EvaluationStepResult.Of(write.Raised.Count + write.Updated + write.Resolved == 0 ? "no drift" : "provider-days checked", [write]);
    }

    public async Task<AlertWrite> EvaluateAsync(CancellationToken ct = default)
    {
        var o = options.Value;
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var lastSettled = today.AddDays(-billing.Value.SettleDays - 1);
        var first = lastSettled.AddDays(-o.LookbackDays + 1);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.BillingConnections.AnyAsync(ct))
            return AlertWrite.None;
        var open = await db.Alerts.AsNoTracking()
            .Where(a => (a.Kind == AlertKind.BillingDrift || a.Kind == AlertKind.UntrackedSpend) && a.State != AlertState.Resolved)
            .Select(a => a.DedupKey).ToListAsync(ct);
        var openKeys = open.ToHashSet(StringComparer.Ordinal);
        var decisions = new List<AlertDecision>();
        for (var day = first; day <= lastSettled; day = day.AddDays(1))
        {
            var r = await reconciliation.GetAsync(new ReconciliationQuery(day, day), AccessScope.System, ct);
            foreach (var d in r.Days.Where(d => d.Settled))
            {
                var f = d.Figures;
                var driftKey = $"{DriftKeyPrefix}{d.Provider}:{day:yyyy-MM-dd}";
                var drifts = f.Billed > 0 && Math.Abs(f.Drift) >= o.DriftUsd && Math.Abs(f.Drift) >= f.Billed * o.DriftPercent / 100m;
                if (drifts)
                    decisions.Add(Decide(openKeys, DriftDraft(driftKey, d, o)));
                else if (openKeys.Contains(driftKey))
                    decisions.Add(new AlertDecision.Resolve(driftKey, "The provider's bill and the tracked spend agree within the thresholds now."));

                var untrackedKey = $"{UntrackedKeyPrefix}{d.Provider}:{day:yyyy-MM-dd}";
                var untracked = r.Projects.Where(p => p.Provider == d.Provider && p.Untracked).ToList();
                var amount = untracked.Sum(p => p.Billed);
                if (amount >= o.UntrackedUsd)
                    decisions.Add(Decide(openKeys, UntrackedDraft(untrackedKey, d, untracked, amount)));
                else if (openKeys.Contains(untrackedKey))
                    decisions.Add(new AlertDecision.Resolve(untrackedKey, "Every billed project now has tracked usage (or is below the threshold)."));
            }
        }
        return decisions.Count == 0 ? AlertWrite.None : await writer.ApplyAsync(db, decisions, ct);
    }

    /// <summary>A new alert, or the open one brought up to date (the day's figures can move with a re-pull).</summary>
    private static AlertDecision Decide(HashSet<string> openKeys, AlertDraft draft) =>
        openKeys.Contains(draft.DedupKey) ? new AlertDecision.Update(draft.DedupKey, draft.ObservedValue) { Now = draft } : new AlertDecision.Raise(draft);

    private static AlertDraft DriftDraft(string key, ReconciliationDay d, BillingAlertOptions o)
    {
        var f = d.Figures;
        var share = f.DriftShare ?? 0;
        var direction = f.Drift < 0 ? "billed more than was tracked" : "billed less than was tracked";
        return new AlertDraft(AlertKind.BillingDrift, Math.Abs(share) >= 0.25m ? AlertSeverity.Critical : AlertSeverity.Warning, key,
            $"{BillingProviders.DisplayName(d.Provider)} {d.Day:MMM d}: billed {Money.Usd(f.Billed)} vs tracked {Money.Usd(f.Tracked)}",
            $"{BillingProviders.DisplayName(d.Provider)} {direction} on {d.Day:yyyy-MM-dd} (UTC): drift {Money.Usd(f.Drift)} ({share:+0.0%;-0.0%}), coverage " +
            $"{Money.Ratio(f.Coverage, "0.0%")}. Thresholds: {o.DriftPercent}% and {Money.Usd(o.DriftUsd)}. See Billing → Reconciliation for the projects and models behind it.")
        {
            PeriodStart = d.Day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc),
            PeriodEnd = d.Day.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc),
            ObservedValue = f.Tracked,
            ExpectedValue = f.Billed,
            LimitValue = f.Billed,
            Unit = AlertUnit.Usd,
            DetailsJson = JsonSerializer.Serialize(new { provider = d.Provider, day = d.Day, billed = f.Billed, tracked = f.Tracked, drift = f.Drift, driftShare = f.DriftShare }),
        };
    }

    private static AlertDraft UntrackedDraft(string key, ReconciliationDay d, List<ReconciliationProject> projects, decimal amount)
    {
        var names = string.Join(", ", projects.OrderByDescending(p => p.Billed).Take(5)
            .Select(p => $"{p.Name ?? (p.ProjectId == "" ? "default" : p.ProjectId)} {Money.Usd(p.Billed)}{(p.TeamId is null ? " (not mapped to a team)" : $" ({p.Team} reported none)")}"));
        return new AlertDraft(AlertKind.UntrackedSpend, AlertSeverity.Warning, key,
            $"{BillingProviders.DisplayName(d.Provider)} {d.Day:MMM d}: {Money.Usd(amount)} billed with no usage reported",
            $"Billed on {d.Day:yyyy-MM-dd} (UTC) to projects QuotaPortal saw no usage for — an app that was never instrumented, or a project to map " +
            $"on Billing → Project mapping: {names}.")
        {
            PeriodStart = d.Day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc),
            PeriodEnd = d.Day.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc),
            ObservedValue = amount,
            Unit = AlertUnit.Usd,
            DetailsJson = JsonSerializer.Serialize(new { provider = d.Provider, day = d.Day, untracked = amount,
                projects = projects.Select(p => new { p.ProjectId, p.Name, p.Team, p.Billed }) }),
        };
    }
}
