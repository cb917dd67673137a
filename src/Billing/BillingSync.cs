using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuotaPortal.Data;

namespace QuotaPortal.Billing;

public sealed record BillingSyncResult(int ConnectionId, int CostLines, int UsageLines, string? Error)
{
    public bool Succeeded => Error is null;
}

/// <summary>
/// What one sync of a connection pulls: on its first sync the backfill (BackfillDays in 1d buckets, in chunks, progress saved after each);
/// once a day the last SettleDays days again in 1d buckets (costs settle late); every time today's costs and today's usage in 1h buckets.
/// </summary>
public sealed class BillingSync(IDbContextFactory<QuotaDbContext> dbFactory, IEnumerable<IBillingConnector> connectors, BillingStore store,
    BillingSecrets secrets, TimeProvider time, IOptions<BillingOptions> options, ILogger<BillingSync> log)
{
    public const int BackfillChunkDays = 7;

    private readonly SemaphoreSlim running = new(1, 1);
    // Which UTC day each connection last settled; after a restart the settle runs once more, which a replacing store makes harmless.
    private readonly ConcurrentDictionary<int, DateOnly> settled = new();

    /// <summary>Every enabled connection, one after the other (the loop's tick, under the "billing" lease).</summary>
    public async Task SyncAllAsync(CancellationToken ct)
    {
        List<int> ids;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            ids = await db.Set<BillingConnection>().Where(c => c.Enabled).OrderBy(c => c.Id).Select(c => c.Id).ToListAsync(ct);
        foreach (var id in ids)
            await SyncNowAsync(id, ct);
    }

    /// <summary>One connection now; a provider failure is recorded on the connection (LastError) and returned, not thrown.</summary>
    public async Task<BillingSyncResult?> SyncNowAsync(int connectionId, CancellationToken ct = default)
    {
        await running.WaitAsync(ct);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var conn = await db.Set<BillingConnection>().AsNoTracking().FirstOrDefaultAsync(c => c.Id == connectionId, ct);
            if (conn is null)
                return null;
            return await SyncAsync(conn, ct);
        }
        finally
        {
            running.Release();
        }
    }

    private async Task<BillingSyncResult> SyncAsync(BillingConnection conn, CancellationToken ct)
    {
        string? key = null;
        var totals = new Totals();
        string? error = null;
        try
        {
            key = secrets.Reveal(conn.AdminKeyProtected);
            var connector = connectors.First(c => c.Provider == conn.Provider);
            var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
            if (conn.BackfilledFrom is null)
                await BackfillAsync(conn, connector, key, today, totals, ct);
            else if (settled.GetValueOrDefault(conn.Id) != today)
                await PullDaysAsync(conn, connector, key, today.AddDays(-options.Value.SettleDays), today, totals, ct);
            if (settled.GetValueOrDefault(conn.Id) != today)
            {
                settled[conn.Id] = today;
                await NameProjectsAsync(conn, connector, key, ct);
            }
            await PullTodayAsync(conn, connector, key, today, totals, ct);
        }
        catch (Exception ex) when (ex is BillingPullException or HttpRequestException or InvalidOperationException or System.Text.Json.JsonException
            or KeyNotFoundException or FormatException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            error = Redact(ex is TaskCanceledException ? $"{conn.Provider} did not answer in time." : ex.Message, key);
            log.LogWarning("Billing sync of connection {Connection} ({Provider}) failed: {Error}", conn.Id, conn.Provider, error);
        }
        await SaveOutcomeAsync(conn.Id, error, ct);
        return new BillingSyncResult(conn.Id, totals.Costs, totals.Usage, error);
    }

    private async Task BackfillAsync(BillingConnection conn, IBillingConnector connector, string key, DateOnly today, Totals totals, CancellationToken ct)
    {
        var days = conn.BackfillDays;
        var from = today.AddDays(-days);
        // A backfill that failed part-way resumes after its last finished chunk.
        var done = conn.BackfillTotalDays == days ? conn.BackfillDoneDays : 0;
        await SaveProgressAsync(conn.Id, days, done, null, ct);
        while (done < days)
        {
            var chunk = Math.Min(BackfillChunkDays, days - done);
            await PullDaysAsync(conn, connector, key, from.AddDays(done), from.AddDays(done + chunk), totals, ct);
            done += chunk;
            await SaveProgressAsync(conn.Id, days, done, null, ct);
        }
        await SaveProgressAsync(conn.Id, days, done, from, ct);
        settled[conn.Id] = today.AddDays(-1); // the backfill covered the settle window
    }

    /// <summary>Costs and 1d usage for whole UTC days [from, toExclusive).</summary>
    private async Task PullDaysAsync(BillingConnection conn, IBillingConnector connector, string key, DateOnly from, DateOnly toExclusive,
        Totals totals, CancellationToken ct)
    {
        var costs = await connector.PullCostsAsync(conn, key, from, toExclusive, ct);
        totals.Costs += await store.ReplaceCostsAsync(conn, from, toExclusive, costs, ct);
        var (start, end) = (from.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), toExclusive.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));
        var usage = await connector.PullUsageAsync(conn, key, start, end, "1d", ct);
        totals.Usage += await store.ReplaceUsageAsync(conn, start, end, "1d", usage, ct);
    }

    private async Task PullTodayAsync(BillingConnection conn, IBillingConnector connector, string key, DateOnly today, Totals totals, CancellationToken ct)
    {
        var costs = await connector.PullCostsAsync(conn, key, today, today.AddDays(1), ct);
        totals.Costs += await store.ReplaceCostsAsync(conn, today, today.AddDays(1), costs, ct);
        var start = today.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var now = time.GetUtcNow().UtcDateTime;
        var end = new DateTime(now.Year, now.Month, now.Day, now.Hour, 0, 0, DateTimeKind.Utc).AddHours(1);
        var usage = await connector.PullUsageAsync(conn, key, start, end, "1h", ct);
        totals.Usage += await store.ReplaceUsageAsync(conn, start, end, "1h", usage, ct);
    }

    /// <summary>Names are a nicety: a key restricted to usage may not list projects, and that must not fail the sync.</summary>
    private async Task NameProjectsAsync(BillingConnection conn, IBillingConnector connector, string key, CancellationToken ct)
    {
        try
        {
            await store.NameProjectsAsync(conn.Id, await connector.ProjectNamesAsync(conn, key, ct), ct);
        }
        catch (Exception ex) when (ex is BillingPullException or HttpRequestException or System.Text.Json.JsonException or KeyNotFoundException)
        {
            log.LogInformation("Billing connection {Connection}: project names not available: {Error}", conn.Id, Redact(ex.Message, key));
        }
    }

    private async Task SaveProgressAsync(int id, int total, int done, DateOnly? backfilledFrom, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Set<BillingConnection>().Where(c => c.Id == id).ExecuteUpdateAsync(s => s
            .SetProperty(c => c.BackfillTotalDays, total)
            .SetProperty(c => c.BackfillDoneDays, done)
            .SetProperty(c => c.BackfilledFrom, backfilledFrom), ct);
    }

    private async Task SaveOutcomeAsync(int id, string? error, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Set<BillingConnection>().Where(c => c.Id == id).ExecuteUpdateAsync(s => s
            .SetProperty(c => c.LastSyncAt, now)
            .SetProperty(c => c.LastError, error == null ? null : error.Length > 2000 ? error.Substring(0, 2000) : error), ct);
    }

    /// <summary>A provider's error text may quote what it was sent: the key never leaves through it.</summary>
    public static string Redact(string message, string? key) =>
        string.IsNullOrEmpty(key) || key.Length < 4 ? message : message.Replace(key, "[admin key]", StringComparison.Ordinal);

    private sealed class Totals
    {
        public int Costs { get; set; }
        public int Usage { get; set; }
    }
}
