using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuotaPortal.Audit;
using QuotaPortal.Cluster;
using QuotaPortal.Data;
using QuotaPortal.Kernel;

namespace QuotaPortal.Recommendations;

/// <summary>
/// One run of the engine over the last window, stored by key: a finding refreshes its recommendation's figures in place, never adds a
/// second; a dismissed one stays dismissed unless its saving grew by <see cref="RecommendationOptions.ReviveGrowthPercent"/>; an open one
/// the run no longer finds expires. Implemented ones keep the estimate they were implemented on. With several instances a run holds the
/// "recommendations" lease (renewed while it reads), so two instances never run it at once.
/// </summary>
public sealed class RecommendationRunner(IDbContextFactory<QuotaDbContext> dbFactory, RecommendationLoader loader, AuditLog audit,
    TimeProvider time, IOptions<RecommendationOptions> options, ILogger<RecommendationRunner> log, LeaseService leases)
{
    public const string LeaseName = "recommendations";
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly SemaphoreSlim running = new(1, 1);

    public DateTime? LastRunAt { get; private set; }
    public RunResult? LastResult { get; private set; }
    public bool IsRunning => running.CurrentCount == 0;

    /// <summary>Null when a run is already going, here or on another instance (the caller's run would find the same).</summary>
    public async Task<RunResult?> RunAsync(AccessScope who, CancellationToken ct = default)
    {
        if (!await running.WaitAsync(0, ct))
            return null;
        try
        {
            RunResult? result = null;
            await leases.RunIfHolderAsync(LeaseName, LeaseService.MinimumTtl, async token => result = await RunHereAsync(who, token), ct, releaseAfter: true);
            return result;
        }
        finally
        {
            running.Release();
        }
    }

    private async Task<RunResult> RunHereAsync(AccessScope who, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        var now = time.GetUtcNow().UtcDateTime;
        var inputs = await loader.LoadAsync(now.AddDays(-options.Value.WindowDays), now, null, withBudgets: true, ct);
        var findings = RecommendationEngine.Run(inputs, options.Value);
        var result = await StoreAsync(findings, inputs, who, now, ct) with { Took = time.GetElapsedTime(started) };
        (LastRunAt, LastResult) = (now, result);
        log.LogInformation("Recommendations: {Summary} in {Ms} ms", result.Summary, result.Took.TotalMilliseconds);
        return result;
    }

    private async Task<RunResult> StoreAsync(IReadOnlyList<Finding> findings, RecommendationInputs inputs, AccessScope who, DateTime now, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var existing = await db.Recommendations.ToDictionaryAsync(r => r.Key, ct);
        int added = 0, refreshed = 0, revived = 0, expired = 0;
        foreach (var f in findings)
        {
            if (!existing.Remove(f.Key, out var r))
            {
                db.Recommendations.Add(Refresh(new Recommendation { Key = f.Key, Title = "", Summary = "", Risk = "", DetailsJson = "", CreatedAt = now }, f, inputs, now));
                added++;
                continue;
            }
            switch (r.Status)
            {
                case RecommendationStatus.Implemented:
                    continue;
                case RecommendationStatus.Dismissed when Revives(r, f) is { } because:
                    r.Status = RecommendationStatus.Open;
                    r.RevivedBecause = because;
                    revived++;
                    break;
                case RecommendationStatus.Expired:
                    r.Status = RecommendationStatus.Open;
                    break;
            }
            Refresh(r, f, inputs, now);
            refreshed++;
        }
        foreach (var gone in existing.Values.Where(r => r.Status == RecommendationStatus.Open))
        {
            gone.Status = RecommendationStatus.Expired;
            gone.UpdatedAt = now;
            expired++;
        }
        if (who != AccessScope.System)
            audit.Record(db, who.Actor, "recommendations.run", "Recommendation", null, $"Ran the recommendation engine: {findings.Count} found, {added} new");
        await db.SaveChangesAsync(ct);
        return new RunResult(findings.Count, added, refreshed, revived, expired, TimeSpan.Zero);
    }

    /// <summary>"Monthly saving grew 64 % since it was dismissed ($120.00 → $196.80)", or null while it has not grown enough.</summary>
    private string? Revives(Recommendation r, Finding f)
    {
        var then = r.DismissedSaving ?? r.MonthlySaving;
        var now = Math.Round(f.MonthlySaving, 2, MidpointRounding.AwayFromZero);
        if (then <= 0 || now < then * (1 + options.Value.ReviveGrowthPercent / 100m))
            return null;
        return $"Monthly saving grew {Numbers.Percent((now - then) / then * 100, "0")} since it was dismissed ({Money.Usd(then)} → {Money.Usd(now)}); "
            + $"dismissed because: {r.DismissReason}";
    }

    private static Recommendation Refresh(Recommendation r, Finding f, RecommendationInputs inputs, DateTime now)
    {
        r.Kind = f.Kind;
        (r.TeamId, r.DepartmentId, r.BudgetId, r.Provider, r.Model, r.ApiMethod, r.AgentId, r.Target) =
            (f.TeamId, f.DepartmentId, f.BudgetId, f.Provider, f.Model, f.ApiMethod, f.AgentId, f.Target);
        (r.Title, r.Summary, r.Risk, r.Confidence, r.EffortHours) = (f.Title, f.Summary, f.Risk, f.Confidence, f.EffortHours);
        r.MonthlySaving = Math.Round(f.MonthlySaving, 2, MidpointRounding.AwayFromZero);
        r.ScopeMonthlySpend = Math.Round(f.ScopeMonthlySpend, 2, MidpointRounding.AwayFromZero);
        r.DetailsJson = JsonSerializer.Serialize(f.Details, Json);
        (r.WindowFrom, r.WindowTo, r.UpdatedAt) = (inputs.FromUtc, inputs.ToUtc, now);
        return r;
    }
}
