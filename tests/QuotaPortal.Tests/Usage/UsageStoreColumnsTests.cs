using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;
using QuotaPortal.Usage;

namespace QuotaPortal.Tests.Usage;

/// <summary>UsageStore writes usage with hand-written SQL for speed; a column added to the EF model must not be forgotten there.</summary>
public sealed class UsageStoreColumnsTests
{
    private static readonly QuotaDbContext Db = new(new DbContextOptionsBuilder<QuotaDbContext>().UseSqlite("Data Source=:memory:").Options);

    private static string[] ModelColumns<T>() =>
        [.. Db.Model.FindEntityType(typeof(T))!.GetProperties().Select(p => p.GetColumnName()).Where(c => c != "Id").Order(StringComparer.Ordinal)];

    [Fact]
    public void The_raw_record_insert_writes_every_column_of_UsageRecord()
    {
        Assert.Equal(ModelColumns<UsageRecord>(), UsageStore.RecordColumns.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_raw_rollup_upsert_writes_every_column_of_the_hourly_and_daily_rollups()
    {
        Assert.Equal(ModelColumns<UsageHourly>(), UsageStore.RollupColumns.Order(StringComparer.Ordinal));
        Assert.Equal(ModelColumns<UsageDaily>(), UsageStore.RollupColumns.Order(StringComparer.Ordinal));
    }
}
