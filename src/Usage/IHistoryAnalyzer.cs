namespace QuotaPortal.Usage;

/// <summary>Told after an import which teams and dates got history, so analytics can replay them (anomaly backfill).</summary>
public interface IHistoryAnalyzer
{
    Task AnalyzeAsync(IReadOnlyCollection<string> teams, DateTime fromUtc, DateTime toUtc, CancellationToken ct);
}
