using System.Text.Json;
using System.Text.RegularExpressions;

namespace QuotaPortal.Tests.Operations;

/// <summary>
/// docs/grafana/quotaportal-dashboard.json stays honest: every series it queries is one a scrape of the portal really contains (after one
/// of every event), and every metric the portal exports under quotaportal_ has a panel. Grafana itself is not installable here (no
/// Debian package), so the JSON is checked for shape and names rather than rendered.
/// </summary>
public sealed partial class GrafanaDashboardTests(MetricsFixture fx) : IClassFixture<MetricsFixture>
{
    private static readonly string[] MetricPrefixes = ["quotaportal_", "http_server_", "dotnet_", "aspnetcore_", "kestrel_"];

    private static JsonElement Dashboard()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "QuotaPortal.sln")))
            dir = dir.Parent;
        Assert.NotNull(dir);
        return JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.FullName, "docs", "grafana", "quotaportal-dashboard.json"))).RootElement;
    }

    /// <summary>Every PromQL text in the dashboard: panel targets and template variable queries.</summary>
    private static List<string> Queries(JsonElement dashboard)
    {
        var queries = new List<string>();
        foreach (var panel in dashboard.GetProperty("panels").EnumerateArray())
            if (panel.TryGetProperty("targets", out var targets))
                queries.AddRange(targets.EnumerateArray().Select(t => t.GetProperty("expr").GetString()!));
        foreach (var variable in dashboard.GetProperty("templating").GetProperty("list").EnumerateArray())
            if (variable.GetProperty("type").GetString() == "query")
                queries.Add(variable.GetProperty("query").GetProperty("query").GetString()!);
        return queries;
    }

    private static HashSet<string> MetricNames(IEnumerable<string> queries) =>
        queries.SelectMany(q => Identifier().Matches(q).Select(m => m.Value))
            .Where(name => MetricPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal))).ToHashSet();

    [Fact]
    public async Task Every_series_the_dashboard_queries_is_exported_and_every_portal_metric_has_a_panel()
    {
        var dashboard = Dashboard();
        var queried = MetricNames(Queries(dashboard));
        var exported = PrometheusText.Parse(await fx.ScrapeAsync()).Select(s => s.Name).ToHashSet();

        Assert.Empty(queried.Except(exported));
        var families = PrometheusText.Families(await fx.ScrapeAsync()).Where(f => f.StartsWith("quotaportal_", StringComparison.Ordinal)).ToList();
        Assert.Equal(11, families.Count); // 3 gauges, 6 counters, 2 histograms: the fixture made every one of them report
        Assert.All(families, f => Assert.Contains(queried, q => q == f || q.StartsWith(f + "_", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_dashboard_imports_with_a_data_source_choice_and_well_formed_panels()
    {
        var dashboard = Dashboard();
        Assert.Equal("quotaportal", dashboard.GetProperty("uid").GetString());
        var datasource = Assert.Single(dashboard.GetProperty("templating").GetProperty("list").EnumerateArray(),
            v => v.GetProperty("type").GetString() == "datasource");
        Assert.Equal("prometheus", datasource.GetProperty("query").GetString());
        var panels = dashboard.GetProperty("panels").EnumerateArray().Where(p => p.GetProperty("type").GetString() != "row").ToList();
        Assert.True(panels.Count >= 15);
        Assert.Equal(panels.Count, panels.Select(p => p.GetProperty("id").GetInt32()).Distinct().Count());
        foreach (var panel in panels)
        {
            Assert.Equal("${" + datasource.GetProperty("name").GetString() + "}", panel.GetProperty("datasource").GetProperty("uid").GetString());
            Assert.NotEmpty(panel.GetProperty("targets").EnumerateArray());
            var grid = panel.GetProperty("gridPos");
            Assert.InRange(grid.GetProperty("x").GetInt32() + grid.GetProperty("w").GetInt32(), 1, 24);
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                var expr = target.GetProperty("expr").GetString()!;
                Assert.Equal(expr.Count(c => c == '('), expr.Count(c => c == ')'));
                Assert.Equal(expr.Count(c => c == '{'), expr.Count(c => c == '}'));
            }
        }
        var titles = panels.Select(p => p.GetProperty("title").GetString()!).ToList();
        foreach (var topic in new[] { "Budget usage", "Spend rate", "Tokens", "Records ingested", "Ingest latency", "Open alerts", "Evaluation tick", "outbox backlog" })
            Assert.Contains(titles, t => t.Contains(topic, StringComparison.OrdinalIgnoreCase));
    }

    [GeneratedRegex("[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex Identifier();
}
