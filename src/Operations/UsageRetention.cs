using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuotaPortal.Audit;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Usage;

namespace QuotaPortal.Operations;

public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>Prune raw usage records older than Ingest:RetentionDays once a day. Off: raw records are kept for ever.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Rows per DELETE statement: short write transactions, so ingestion is never held up for long.</summary>
    [Range(100, 100_000)] public int BatchSize { get; set; } = 5_000;

    [Range(1, 24 * 31)] public int RunEveryHours { get; set; } = 24;

    /// <summary>Pause between two batches, to let the writer of usage in (SQLite has one writer).</summary>
    [Range(0, 10_000)] public int PauseMs { get; set; } = 20;
}

/// <param name="Cutoff">Records with a timestamp before this instant were pruned.</param>
public sealed record RetentionRun(DateTime At, DateTime Cutoff, long Deleted, int Statements);

/// <summary>
/// Deletes raw usage records older than the retention window (<see cref="IngestOptions.RetentionDays"/>, the same window ingestion
/// accepts) in small batches, and audits the count. The hourly and daily rollups, alerts and anomalies are kept, so dashboards, reports
/// and trends keep their history; only the raw rows (the Usage explorer, CSV exports, recommendations' evidence) end at the window.
/// Plain EF Core (ExecuteDelete), so it runs the same on every provider.
/// </summary>
public sealed class UsageRetention(IDbContextFactory<QuotaDbContext> dbFactory, AuditLog audit, TimeProvider time,
    IOptions<IngestOptions> ingest, IOptions<RetentionOptions> options, ILogger<UsageRetention> log)
{
    public const string AuditAction = "usage.retention";

    public async Task<RetentionRun> PruneAsync(CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var days = ingest.Value.RetentionDays;
        var cutoff = now.AddDays(-days);
        var batch = options.Value.BatchSize;
        long deleted = 0;
        var statements = 0;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        while (true)
        {
            // The oldest first, by primary key: a bounded statement on every provider (DELETE … WHERE Id IN (SELECT … LIMIT n)).
            var n = await db.UsageRecords.Where(r => r.Timestamp < cutoff).OrderBy(r => r.Id).Take(batch).ExecuteDeleteAsync(ct);
            statements++;
            deleted += n;
            if (n < batch)
                break;
            // A breather for the single writer of usage: real time on purpose, this is not a reading of the clock.
            if (options.Value.PauseMs > 0)
                await Task.Delay(options.Value.PauseMs, ct);
            else
                await Task.Yield();
        }
        if (deleted > 0)
        {
            audit.Record(db, Actor.System, AuditAction, "UsageRecord", null,
                $"Pruned {Words.Count(deleted, "raw usage record")} older than {cutoff:yyyy-MM-dd HH:mm} UTC (retention {days} days); rollups kept",
                after: new { Deleted = deleted, Before = cutoff, RetentionDays = days });
            await db.SaveChangesAsync(ct);
            log.LogInformation("Retention pruned {Deleted} raw usage records older than {Cutoff:o} in {Statements} statements", deleted, cutoff, statements);
        }
        return new RetentionRun(now, cutoff, deleted, statements);
    }
}
