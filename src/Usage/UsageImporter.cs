using System.Security.Cryptography;

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
public sealed class UsageImporter(UsageIngestor ingestor, TimeProvider time, IEnumerable<IHistoryAnalyzer> analyzers, ILogger<UsageImporter> log)
{
    public const int BatchSize = 1000;
    private const int MaxErrors = 50;

    public static bool IsJsonLines(string fileName) =>
        fileName.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || fileName.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase)
        || fileName.EndsWith(".json", StringComparison.OrdinalIgnoreCase);

    /// <param name="open">Opens the file from the start; it is read twice (check, then write).</param>
    public async Task<ImportSummary> ImportAsync(Func<Stream> open, bool jsonLines, AccessScope who, IProgress<ImportProgress>? progress = null,
        CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            throw new UnauthorizedAccessException("Only an admin may import usage.");
        var actor = who.Actor;
        var started = time.GetTimestamp();
        string fileHash;
        await using (var s = open())
            fileHash = Convert.ToHexStringLower(await SHA256.HashDataAsync(s, ct))[..16];

        var caller = new IngestCaller(actor, null);
        var errors = new List<string>();
        long records = 0;
        decimal cost = 0;
        var batchNo = 0;
        await foreach (var batch in BatchesAsync(open, jsonLines, errors, ct))
        {
            var check = await ingestor.IngestAsync(batch, caller, null, ct, dryRun: true);
            var offset = (long)batchNo * BatchSize;
            Collect(check, offset, errors);
            records += batch.Count;
            cost += check.Result?.TotalCost ?? 0;
            batchNo++;
            progress?.Report(new ImportProgress(records, 0, "checking"));
            if (errors.Count >= MaxErrors)
                break;
        }
        if (errors.Count > 0)
            return new ImportSummary(false, records, 0, 0, 0, 0, errors.Take(MaxErrors).ToList(), time.GetElapsedTime(started));

        var teams = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        DateTime? first = null, last = null;
        long accepted = 0, duplicates = 0, written = 0;
        decimal writtenCost = 0;
        batchNo = 0;
        var keys = new ImportRecordKeys();
        await foreach (var batch in BatchesAsync(open, jsonLines, errors, ct))
        {
            foreach (var r in batch)
            {
                if (r.Team is { } team)
                    teams.Add(team);
                if (r.Timestamp is { } ts)
                {
                    var utc = ts.UtcDateTime;
                    first = first is null || utc < first ? utc : first;
                    last = last is null || utc > last ? utc : last;
                }
            }
            keys.Assign(batch);
            var outcome = await ingestor.IngestAsync(batch, caller, $"import:{fileHash}:{batchNo}", ct);
            if (outcome.Status != IngestStatus.Ok)
            {
                // The data changed between check and write (a team archived meanwhile); earlier batches stay, and a re-run resumes.
                Collect(outcome, (long)batchNo * BatchSize, errors);
                return new ImportSummary(false, records, accepted, duplicates, writtenCost, batchNo, errors, time.GetElapsedTime(started));
            }
            var replayed = outcome.Replayed;
            accepted += replayed ? 0 : outcome.Result!.Accepted;
            duplicates += replayed ? batch.Count : outcome.Result!.Duplicates;
            writtenCost += replayed ? 0 : outcome.Result!.TotalCost;
            written += batch.Count;
            batchNo++;
            progress?.Report(new ImportProgress(records, written, "writing"));
        }
        // Imported history is replayed through the analytics (anomaly backfill) as if they had been watching all along.
        if (accepted > 0 && first is { } from && last is { } to)
        {
            foreach (var analyzer in analyzers)
            {
                try
                {
                    progress?.Report(new ImportProgress(records, written, "analyzing"));
                    await analyzer.AnalyzeAsync(teams, from, to.AddHours(1), ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    log.LogError(ex, "Analyzing imported history failed; run 'analyze' to retry");
                }
            }
        }
        return new ImportSummary(true, records, accepted, duplicates, writtenCost, batchNo, [], time.GetElapsedTime(started));
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
