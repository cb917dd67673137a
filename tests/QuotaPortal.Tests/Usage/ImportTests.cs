using QuotaPortal.Kernel;
using System.Text;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;
using QuotaPortal.Teams;
using QuotaPortal.Usage;

namespace QuotaPortal.Tests.Usage;

public sealed class ImportTests(PortalFactory factory) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _ = factory.Services;
        var teams = factory.Service<TeamService>();
        if ((await teams.ListTeamsAsync()).Count == 0)
            await teams.CreateTeamAsync(new TeamInput("Research", "research", null, null, null), AccessScope.System.WithActor("test"));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<long> CountAsync()
    {
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        return await db.UsageRecords.LongCountAsync(Ct);
    }

    private Task<ImportSummary> ImportAsync(string content, bool jsonLines = false)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        return factory.Service<UsageImporter>().ImportAsync(() => new MemoryStream(bytes), jsonLines, AccessScope.System.WithActor("admin@example.com"), null, Ct);
    }

    private static string Csv(int rows, int start = 0)
    {
        var sb = new StringBuilder("timestamp,team,provider,model,apiMethod,inputTokens,outputTokens,tags\n");
        for (var i = start; i < start + rows; i++)
            sb.Append(CultureInvariant($"2026-11-{1 + i % 20:00}T10:00:00Z,research,openai,gpt-4o-mini,chat.completions,{1000 + i},200,\"{{\"\"run\"\":\"\"r{i}\"\"}}\"\n"));
        return sb.ToString();
    }

    private static string CultureInvariant(FormattableString s) => s.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Csv_backfill_is_written_in_batches_and_a_second_import_of_the_same_file_writes_nothing()
    {
        var before = await CountAsync();
        var csv = Csv(2500);

        var first = await ImportAsync(csv);
        var second = await ImportAsync(csv);

        Assert.True(first.Succeeded, string.Join("; ", first.Errors));
        Assert.Equal(2500, first.Accepted);
        Assert.Equal(3, first.Batches);
        Assert.True(first.TotalCost > 0);
        Assert.True(second.Succeeded);
        Assert.Equal(0, second.Accepted);
        Assert.Equal(2500, second.Duplicates);
        Assert.Equal(before + 2500, await CountAsync());
    }

    [Fact]
    public async Task A_bad_row_anywhere_rejects_the_whole_file_and_names_the_record()
    {
        var before = await CountAsync();
        var csv = Csv(1500) + "2026-11-02T10:00:00Z,research,openai,gpt-4o-mini,chat.completions,-1,200,\n";

        var result = await ImportAsync(csv);

        Assert.False(result.Succeeded);
        Assert.Contains(result.Errors, e => e.Contains("record 1501") && e.Contains("inputTokens"));
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task Unknown_csv_column_and_unparsable_number_are_explained()
    {
        var badHeader = await ImportAsync("team,provider,model,apiMethod,colour\nresearch,openai,gpt-4o,chat,blue\n");
        Assert.Contains(badHeader.Errors, e => e.Contains("colour"));
        var badNumber = await ImportAsync("team,provider,model,apiMethod,inputTokens\nresearch,openai,gpt-4o,chat,lots\n");
        Assert.Contains(badNumber.Errors, e => e.Contains("inputTokens") && e.Contains("lots"));
    }

    [Fact]
    public async Task Json_lines_import_uses_the_api_field_names()
    {
        var jsonl = """
            {"team":"research","provider":"anthropic","model":"claude-3-haiku","apiMethod":"chat.completions","inputTokens":4000,"outputTokens":100,"idempotencyKey":"jl-1"}

            {"team":"research","provider":"anthropic","model":"claude-3-haiku","apiMethod":"chat.completions","inputTokens":4000,"outputTokens":100,"idempotencyKey":"jl-2","success":false,"errorCode":"429"}
            """;
        var result = await ImportAsync(jsonl, jsonLines: true);
        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        Assert.Equal(2, result.Accepted);
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        Assert.Equal(1, await db.UsageHourly.Where(h => h.Model == "claude-3-haiku").SumAsync(h => h.RateLimited, Ct));
    }

    /// <summary>An export-like file for October days <paramref name="from"/>..<paramref name="to"/>: two calls a day, and on the 12th the
    /// morning call twice (two identical calls, both real).</summary>
    private static string OctoberCsv(int from, int to)
    {
        var sb = new StringBuilder("timestamp,team,provider,model,apiMethod,inputTokens,outputTokens,agentId\n");
        for (var d = from; d <= to; d++)
        {
            var morning = CultureInvariant($"2026-10-{d:00}T08:00:00.000Z,research,anthropic,claude-3-5-sonnet-20241022,chat.completions,{100 + d},50,overlap\n");
            sb.Append(morning);
            if (d == 12)
                sb.Append(morning);
            sb.Append(CultureInvariant($"2026-10-{d:00}T15:30:00.250Z,research,anthropic,claude-3-5-sonnet-20241022,chat.completions,{900 + d},70,overlap\n"));
        }
        return sb.ToString();
    }

    [Fact]
    public async Task Overlapping_imports_count_the_overlap_once()
    {
        var a = await ImportAsync(OctoberCsv(1, 15));
        var b = await ImportAsync(OctoberCsv(10, 30));

        Assert.True(a.Succeeded, string.Join("; ", a.Errors));
        Assert.True(b.Succeeded, string.Join("; ", b.Errors));
        Assert.Equal(31, a.Accepted);
        Assert.Equal(13, b.Duplicates);   // days 10-15: 2 a day, and the 12th's repeated call
        Assert.Equal(30, b.Accepted);     // days 16-30
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        var model = "claude-3-5-sonnet-20241022";
        Assert.Equal(61, await db.UsageRecords.CountAsync(r => r.Model == model, Ct)); // the union: 30 days × 2 + the 12th's second call
        Assert.Equal(61, await db.UsageDaily.Where(r => r.Model == model).SumAsync(r => r.RecordCount, Ct));
        var union = Enumerable.Range(1, 30).Sum(d => (100L + d) * (d == 12 ? 2 : 1) + 900 + d);
        Assert.Equal(union, await db.UsageDaily.Where(r => r.Model == model).SumAsync(r => r.InputTokens, Ct));
        Assert.Equal(a.TotalCost + b.TotalCost, await db.UsageRecords.Where(r => r.Model == model).SumAsync(r => r.CostNanos, Ct) / 1_000_000_000m);
    }
}
