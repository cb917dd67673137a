using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Audit;
using QuotaPortal.Data;

using QuotaPortal.Kernel;

namespace QuotaPortal.Usage;

public sealed record ImportProgress(long RecordsRead, long RecordsWritten, string Phase);

public sealed record ImportSummary(bool Succeeded, long Records, long Accepted, long Duplicates, decimal TotalCost, int Batches,
    IReadOnlyList<string> Errors, TimeSpan Took);

/// <summary>
/// Backfill from CSV or JSON lines, with the API's rules: the whole file is checked first and nothing is written if any
/// record is bad; then it is written in batches of 1,000 whose idempotency keys derive from the file's content, so
/// importing the same file again writes nothing new. Records without their own idempotency key get one derived from their
/// content (<see cref="ImportRecordKeys"/>), so a file that overlaps an earlier one adds only what is new.
/// </summary>
public sealed class UsageImporter(UsageIngestor ingestor, TimeProvider time, IEnumerable<IHistoryAnalyzer> analyzers, ILogger<UsageImporter> log,
    IDbContextFactory<QuotaDbContext> dbFactory, AuditLog audit)
{
    public const int BatchSize = 1000;
    private const int MaxErrors = 50;

    public static bool IsJsonLines(string fileName) =>
        fileName.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || fileName.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase)
        || fileName.EndsWith(".json", StringComparison.OrdinalIgnoreCase);

    /// <param name="open">Opens the file from the start; it is read twice (check, then write).</param>
    /// <param name="fileName">The file's name as the person chose it, for the audit log.</param>
    public async Task<ImportSummary> ImportAsync(Func<Stream> open, bool jsonLines, AccessScope who, IProgress<ImportProgress>? progress = null,
        CancellationToken ct = default, string? fileName = null)
    {
        if (!who.IsAdmin)
            throw new UnauthorizedAccessException("Only an admin may import usage.");
        var actor = who.Actor;
        var started = time.GetTimestamp();
        string fileHash;
        await using (var s = open())
            fileHash = Convert.ToHexStringLower(await SHA256.HashDataAsync(s, ct))[..16];

        var caller = new IngestCaller(actor, null);
        var (records, errors) = await CheckAsync(open, jsonLines, caller, progress, ct);
        if (errors.Count > 0)
            return new ImportSummary(false, records, 0, 0, 0, 0, errors.Take(MaxErrors).ToList(), time.GetElapsedTime(started));

        var span = new ImportSpan();
        long accepted = 0, duplicates = 0, written = 0;
        decimal writtenCost = 0;
        var batchNo = 0;
        var keys = new ImportRecordKeys();
        await foreach (var batch in BatchesAsync(open, jsonLines, errors, ct))
        {
            span.Add(batch);
            keys.Assign(batch);
            var outcome = await ingestor.IngestAsync(batch, caller, $"import:{fileHash}:{batchNo}", ct);
            if (outcome.Status != IngestStatus.Ok)
            {
                // The data changed between check and write (a team archived meanwhile); earlier batches stay, and a re-run resumes.
                Collect(outcome, (long)batchNo * BatchSize, errors);
                var partial = new ImportSummary(false, records, accepted, duplicates, writtenCost, batchNo, errors, time.GetElapsedTime(started));
                await AuditAsync(actor, fileName, fileHash, partial, ct);
                return partial;
            }
            var replayed = outcome.Replayed;
            accepted += replayed ? 0 : outcome.Result!.Accepted;
            duplicates += replayed ? batch.Count : outcome.Result!.Duplicates;
            writtenCost += replayed ? 0 : outcome.Result!.TotalCost;
            written += batch.Count;
            batchNo++;
            progress?.Report(new ImportProgress(records, written, "writing"));
        }
        if (accepted > 0)
            await AnalyzeAsync(span, () => progress?.Report(new ImportProgress(records, written, "analyzing")), ct);
        var summary = new ImportSummary(true, records, accepted, duplicates, writtenCost, batchNo, [], time.GetElapsedTime(started));
        await AuditAsync(actor, fileName, fileHash, summary, ct);
        return summary;
    }

    /// <summary>
    /// One audit row per import that wrote (or replayed) batches: who, which file, how many records and dollars. The batches committed
    /// on their own already (a re-run resumes), so this row follows them instead of sharing their transaction.
    /// </summary>
    private async Task AuditAsync(string actor, string? fileName, string fileHash, ImportSummary s, CancellationToken ct)
    {
        var name = string.IsNullOrWhiteSpace(fileName) ? "a file" : Path.GetFileName(fileName);
        var text = $"Imported {name}: {Numbers.Count(s.Accepted)} of {Numbers.Count(s.Records)} records ({Money.Usd(s.TotalCost)})"
            + (s.Duplicates > 0 ? $", {Numbers.Count(s.Duplicates)} already there" : "") + (s.Succeeded ? "" : ", stopped by an error");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        audit.Record(db, actor, "usage.import", "UsageImport", fileHash, text,
            after: new { File = name, s.Records, s.Accepted, s.Duplicates, s.TotalCost, s.Batches, s.Succeeded });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>The dry run over the whole file: records counted and the first <see cref="MaxErrors"/> errors, nothing written.</summary>
    private async Task<(long Records, List<string> Errors)> CheckAsync(Func<Stream> open, bool jsonLines, IngestCaller caller,
        IProgress<ImportProgress>? progress, CancellationToken ct)
    {
        var errors = new List<string>();
        long records = 0;
        var batchNo = 0;
        await foreach (var batch in BatchesAsync(open, jsonLines, errors, ct))
        {
            var check = await ingestor.IngestAsync(batch, caller, null, ct, dryRun: true);
            Collect(check, (long)batchNo * BatchSize, errors);
            records += batch.Count;
            batchNo++;
            progress?.Report(new ImportProgress(records, 0, "checking"));
            if (errors.Count >= MaxErrors)
                break;
        }
        return (records, errors);
    }

    /// <summary>Imported history is replayed through the analytics (anomaly backfill) as if they had been watching all along.</summary>
    private async Task AnalyzeAsync(ImportSpan span, Action reportProgress, CancellationToken ct)
    {
        if (span.First is not { } from || span.Last is not { } to)
            return;
        foreach (var analyzer in analyzers)
        {
            try
            {
                reportProgress();
                await analyzer.AnalyzeAsync(span.Teams, from, to.AddHours(1), ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.LogError(ex, "Analyzing imported history failed; run 'analyze' to retry");
            }
        }
    }

    /// <summary>Which teams and which time range a file covered.</summary>
    private sealed class ImportSpan
    {
        public HashSet<string> Teams { get; } = new(StringComparer.OrdinalIgnoreCase);
        public DateTime? First { get; private set; }
        public DateTime? Last { get; private set; }

        public void Add(IEnumerable<UsageInput> batch)
        {
            foreach (var r in batch)
            {
                if (r.Team is { } team)
                    Teams.Add(team);
                if (r.Timestamp is { } ts)
                {
                    var utc = ts.UtcDateTime;
                    First = First is null || utc < First ? utc : First;
                    Last = Last is null || utc > Last ? utc : Last;
                }
            }
        }
    }

    private static void Collect(IngestOutcome outcome, long offset, List<string> errors)
    {
        switch (outcome.Status)
        {
            case IngestStatus.Invalid:
                foreach (var (field, messages) in outcome.Errors!)
                    errors.Add($"{Locate(field, offset)}: {string.Join(" ", messages)}");
                break;
            case IngestStatus.UnknownTeams:
                errors.Add($"Unknown or archived team(s): {string.Join(", ", outcome.Teams!)}.");
                break;
            case IngestStatus.Forbidden:
                errors.Add($"Not allowed to write team(s): {string.Join(", ", outcome.Teams!)}.");
                break;
        }
    }

    /// <summary>"[12].model" in batch 3 → "record 3013, model" (1-based, as a person counts rows).</summary>
    private static string Locate(string field, long offset)
    {
        var close = field.IndexOf(']');
        if (!field.StartsWith('[') || close < 0)
            return field;
        var index = long.Parse(field[1..close], System.Globalization.CultureInfo.InvariantCulture);
        return $"record {offset + index + 1}, {field[(close + 2)..]}";
    }

    private static async IAsyncEnumerable<List<UsageInput>> BatchesAsync(Func<Stream> open, bool jsonLines, List<string> errors,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var stream = open();
        using var reader = new StreamReader(stream);
        var source = jsonLines ? UsageCsv.ReadJsonLinesAsync(reader, ct) : UsageCsv.ReadCsvAsync(reader, ct);
        var batch = new List<UsageInput>(BatchSize);
        await using var e = source.GetAsyncEnumerator(ct);
        while (true)
        {
            try
            {
                if (!await e.MoveNextAsync())
                    break;
            }
            catch (FormatException ex)
            {
                errors.Add(ex.Message);
                yield break;
            }
            batch.Add(e.Current);
            if (batch.Count == BatchSize)
            {
                yield return batch;
                batch = new List<UsageInput>(BatchSize);
            }
        }
        if (batch.Count > 0)
            yield return batch;
    }
}
