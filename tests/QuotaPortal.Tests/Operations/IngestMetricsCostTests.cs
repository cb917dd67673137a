using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using QuotaPortal.Kernel;
using QuotaPortal.Usage;

namespace QuotaPortal.Tests.Operations;

/// <summary>
/// The ingest benchmark measures throughput: the metrics of a committed batch must cost per team × provider × model group, never per
/// record. Allocations are measured on this thread while a listener records every measurement (as the Prometheus exporter does).
/// </summary>
public sealed class IngestMetricsCostTests
{
    private static (List<UsageInput> Inputs, List<UsageRecord> Records) Batch(int size)
    {
        string[] teams = ["search", "docs", "ads"];
        var inputs = new List<UsageInput>(size);
        var records = new List<UsageRecord>(size);
        for (var i = 0; i < size; i++)
        {
            var team = teams[i % 3];
            inputs.Add(new UsageInput { Team = team, Provider = "openai", Model = "gpt-4o", InputTokens = 100, OutputTokens = 10 });
            records.Add(new UsageRecord { Id = i + 1, TeamId = i % 3, Provider = "openai", Model = "gpt-4o", ApiMethod = "chat.completions", InputTokens = 100,
                OutputTokens = 10, CostNanos = 650_000 });
        }
        return (inputs, records);
    }

    [Fact]
    public void A_batch_of_ten_thousand_records_allocates_for_its_metrics_what_a_batch_of_thirty_does()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new PortalMetrics(services.GetRequiredService<IMeterFactory>());
        long records = 0;
        double cost = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter == metrics.Meter)
                l.EnableMeasurementEvents(i);
        };
        listener.SetMeasurementEventCallback<long>((i, v, _, _) => { if (i.Name == "quotaportal_usage_records") records += v; });
        listener.SetMeasurementEventCallback<double>((_, v, _, _) => cost += v);
        listener.Start();

        var small = Batch(30);
        var large = Batch(10_000);
        UsageIngestor.RecordCommitted(metrics, small.Inputs, small.Records); // warm-up: JIT, dictionary growth paths
        UsageIngestor.RecordCommitted(metrics, large.Inputs, large.Records);
        records = 0;
        cost = 0;

        var before = GC.GetAllocatedBytesForCurrentThread();
        UsageIngestor.RecordCommitted(metrics, small.Inputs, small.Records);
        var forSmall = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        UsageIngestor.RecordCommitted(metrics, large.Inputs, large.Records);
        var forLarge = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(10_030, records);
        Assert.Equal(10_030 * 0.00065, cost, 6);
        Assert.True(forLarge - forSmall < 1024, $"30 records: {forSmall} bytes, 10,000 records: {forLarge} bytes");
    }

    [Fact]
    public void Duplicates_are_not_counted_and_nothing_is_aggregated_while_nobody_listens()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new PortalMetrics(services.GetRequiredService<IMeterFactory>());
        var batch = Batch(10);
        Assert.False(metrics.UsageEnabled);
        var before = GC.GetAllocatedBytesForCurrentThread();
        UsageIngestor.RecordCommitted(metrics, batch.Inputs, batch.Records);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64);

        long records = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) => { if (i.Meter == metrics.Meter) l.EnableMeasurementEvents(i); };
        listener.SetMeasurementEventCallback<long>((i, v, _, _) => { if (i.Name == "quotaportal_usage_records") records += v; });
        listener.Start();
        foreach (var r in batch.Records.Take(4))
            r.Id = 0; // written before: the writer leaves a duplicate's id at 0
        UsageIngestor.RecordCommitted(metrics, batch.Inputs, batch.Records);
        Assert.Equal(6, records);
    }
}
