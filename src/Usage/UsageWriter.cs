using System.Threading.Channels;
using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuotaPortal.Cluster;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;

namespace QuotaPortal.Usage;

/// <summary>
/// The one writer of usage (per instance). SQLite has one writer, so one loop writes for everybody; on PostgreSQL each instance's
/// loop writes beside the others' and the unique indexes decide between them. In both: batches that queued up meanwhile share a
/// transaction (group commit: one commit and one rollup pass for several batches), each inside its own savepoint so a failing
/// batch never takes the others with it. Callers are answered only after the commit. The loop starts with the host and, on
/// shutdown, takes no new batches and finishes the queued ones before the host stops.
/// </summary>
public sealed class UsageWriter(RawConnections connections, IDbContextFactory<QuotaDbContext> dbFactory, TeamService teams,
    IOptions<IngestOptions> options, ChangeVersions? changes = null) : IHostedService
{
    private readonly Channel<UsageWriteJob> writes = Channel.CreateUnbounded<UsageWriteJob>(new UnboundedChannelOptions { SingleReader = true });
    private Task? loop;
    private int queued;
    private const int GroupRecordLimit = 8000;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        loop ??= Task.Run(WriteLoopAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Drains: every batch queued before this call is written (or fails) before it returns.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        writes.Writer.TryComplete();
        if (loop is not null)
            await loop.WaitAsync(cancellationToken);
    }

    /// <summary>Batches waiting for the loop (not yet in a transaction).</summary>
    internal int QueuedBatches => Volatile.Read(ref queued);

    /// <summary>Queues the batch; the task ends after its commit.</summary>
    internal Task<UsageWriteResult> WriteAsync(UsageWriteJob job)
    {
        Interlocked.Increment(ref queued);
        if (!writes.Writer.TryWrite(job))
        {
            Interlocked.Decrement(ref queued);
            throw new InvalidOperationException("The portal is shutting down and accepts no more usage; send it again in a moment.");
        }
        return job.Done.Task;
    }

    private async Task WriteLoopAsync()
    {
        var reader = writes.Reader;
        while (await reader.WaitToReadAsync())
        {
            var group = new List<UsageWriteJob>();
            var count = 0;
            while (count < GroupRecordLimit && reader.TryRead(out var job))
            {
                Interlocked.Decrement(ref queued);
                group.Add(job);
                count += job.Records.Count;
            }
            try
            {
                await WriteGroupAsync(group);
            }
            catch (Exception ex)
            {
                foreach (var job in group)
                    job.Done.TrySetException(ex);
            }
        }
    }

    private async Task WriteGroupAsync(List<UsageWriteJob> group)
    {
        await using var conn = await connections.OpenAsync();
        await using var tx = await conn.BeginTransactionAsync();
        var outcomes = new List<(UsageWriteJob Job, UsageWriteResult? Result, Exception? Error)>(group.Count);
        var inserted = new List<UsageRecord>();
        var expiredBefore = group[0].Now.AddHours(-options.Value.IdempotencyRetentionHours);
        await UsageStore.PurgeExpiredBatchesAsync(conn, tx, expiredBefore);
        for (var j = 0; j < group.Count; j++)
        {
            var job = group[j];
            await UsageStore.ExecAsync(conn, tx, $"SAVEPOINT b{j}");
            try
            {
                outcomes.Add((job, await WriteJobAsync(conn, tx, job, expiredBefore, inserted), null));
                await UsageStore.ExecAsync(conn, tx, $"RELEASE b{j}");
            }
            catch (Exception ex) when (UsageStore.DatabaseError(ex) is { } error)
            {
                await UsageStore.ExecAsync(conn, tx, $"ROLLBACK TO b{j}");
                await UsageStore.ExecAsync(conn, tx, $"RELEASE b{j}");
                foreach (var r in job.Records)
                    r.Id = 0;
                outcomes.Add((job, null, error));
            }
        }
        await UsageStore.AddToRollupsAsync(conn, tx, inserted);
        // Other instances' caches learn of these records from the change versions (this instance's row; closed days' rows).
        await (changes?.UsageWrittenAsync(conn, tx, inserted.Select(r => r.Timestamp), group[0].Now) ?? Task.CompletedTask);
        await tx.CommitAsync();
        foreach (var (job, result, error) in outcomes)
        {
            if (error is not null)
                job.Done.TrySetException(error);
            else
                job.Done.TrySetResult(result!);
        }
    }


    private async Task<UsageWriteResult> WriteJobAsync(DbConnection conn, DbTransaction tx, UsageWriteJob job, DateTime expiredBefore,
        List<UsageRecord> inserted)
    {
        if (job.BatchKey is not null && await UsageStore.FindBatchAsync(conn, tx, job.BatchScope, job.BatchKey, expiredBefore) is { } previous)
        {
            // A stored row without a hash predates body hashing: it replays as before.
            var sameBody = previous.BodyHash is null || previous.BodyHash == job.BodyHash;
            return new UsageWriteResult(sameBody ? previous.Result : null, sameBody);
        }
        if (job.NewTeams.Count > 0)
            await CreateTeamsAsync(conn, tx, job);
        var fresh = await UsageStore.InsertRecordsAsync(conn, tx, job.Records);
        var ids = new long[job.Records.Count];
        for (var i = 0; i < ids.Length; i++)
            ids[i] = job.Records[i].Id != 0 ? job.Records[i].Id : await UsageStore.ExistingIdAsync(conn, tx, job.Records[i]);
        var result = new IngestResult(fresh.Count, job.Records.Count - fresh.Count, Money.FromNanos(fresh.Sum(r => r.CostNanos)), ids);
        if (job.BatchKey is not null)
            await UsageStore.SaveBatchAsync(conn, tx, job.BatchScope, job.BatchKey, job.BodyHash, result, job.Now);
        inserted.AddRange(fresh);
        return new UsageWriteResult(result, false);
    }

    /// <summary>The batch's new teams, with their audit rows, inside its savepoint: a batch that fails leaves no team behind.</summary>
    private async Task CreateTeamsAsync(DbConnection conn, DbTransaction tx, UsageWriteJob job)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        db.Database.SetDbConnection(conn);
        await db.Database.UseTransactionAsync(tx);
        var created = new int[job.NewTeams.Count];
        for (var n = 0; n < created.Length; n++)
            created[n] = (await teams.AddAutoCreatedTeamAsync(db, job.NewTeams[n], job.Actor)).Id;
        foreach (var r in job.Records)
            if (r.TeamId < 0)
                r.TeamId = created[-r.TeamId - 1];
    }
}

/// <summary>
/// One caller's batch. NewTeams[n] is the slug behind the placeholder team id -(n + 1) in Records: the writer creates those teams
/// inside the batch's savepoint.
/// </summary>
internal sealed record UsageWriteJob(List<UsageRecord> Records, string BatchScope, string? BatchKey, string? BodyHash, DateTime Now,
    IReadOnlyList<string> NewTeams, string Actor)
{
    public TaskCompletionSource<UsageWriteResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>Result is null when the batch key was used before with a different body (a conflict).</summary>
internal sealed record UsageWriteResult(IngestResult? Result, bool Replayed);
