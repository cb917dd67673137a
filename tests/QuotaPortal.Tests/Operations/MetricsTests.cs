using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using QuotaPortal.Alerts;
using QuotaPortal.Budgets;
using QuotaPortal.Data;
using QuotaPortal.Kernel;

namespace QuotaPortal.Tests.Operations;

/// <summary>/metrics after real traffic: the figures a Prometheus scrape gets are the portal's own.</summary>
public sealed class MetricsTests(MetricsFixture fx) : IClassFixture<MetricsFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly (string, string) Team = ("team", MetricsFixture.Team);

    private async Task<IReadOnlyList<Sample>> SamplesAsync() => PrometheusText.Parse(await fx.ScrapeAsync());

    [Fact]
    public async Task Budget_usage_ratio_is_the_figure_the_budgets_page_shows()
    {
        var samples = await SamplesAsync();
        var view = (await fx.Service<BudgetService>().GetAsync(fx.BudgetId, AccessScope.System, Ct))!;
        var gauge = Assert.Single(samples, s => s.Name == "quotaportal_budget_usage_ratio" && s.Has(("budget_id", fx.BudgetId.ToString())));
        Assert.Equal((double)(view.PercentUsed / 100m), gauge.Value, 12);
        Assert.InRange(gauge.Value, 0.5, 0.8); // past the 50 % threshold, short of 80 %: the crossing below is real
        Assert.True(gauge.Has(("budget", "Metered daily"), Team, ("period", "daily"), ("metric", "cost")));
    }

    [Fact]
    public async Task Spend_tokens_and_records_counters_equal_what_was_stored_per_team_provider_and_model()
    {
        var samples = await SamplesAsync();
        await using var db = await fx.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        var teamId = await db.Teams.Where(t => t.Slug == MetricsFixture.Team).Select(t => t.Id).SingleAsync(Ct);
        var stored = await db.UsageRecords.Where(r => r.TeamId == teamId)
            .GroupBy(r => new { r.Provider, r.Model })
            .Select(g => new { g.Key.Provider, g.Key.Model, Count = g.Count(), Nanos = g.Sum(r => r.CostNanos), In = g.Sum(r => r.InputTokens), Out = g.Sum(r => r.OutputTokens) })
            .ToListAsync(Ct);
        Assert.Equal(3, stored.Count);
        foreach (var s in stored)
        {
            (string, string)[] key = [Team, ("provider", s.Provider), ("model", s.Model)];
            Assert.Equal(s.Nanos / 1e9, Assert.Single(samples, x => x.Name == "quotaportal_usage_cost_usd_total" && x.Has(key)).Value, 9);
            Assert.Equal(s.Count, Assert.Single(samples, x => x.Name == "quotaportal_usage_records_total" && x.Has(key)).Value);
            Assert.Equal(s.In, Assert.Single(samples, x => x.Name == "quotaportal_usage_tokens_total" && x.Has([.. key, ("type", "input")])).Value);
            Assert.Equal(s.Out, Assert.Single(samples, x => x.Name == "quotaportal_usage_tokens_total" && x.Has([.. key, ("type", "output")])).Value);
        }
        Assert.True(samples.Single(x => x.Name == "quotaportal_ingest_duration_seconds_count").Value >= 2, "both accepted posts are timed");
    }

    [Fact]
    public async Task The_open_alert_shows_by_severity_kind_and_state()
    {
        var samples = await SamplesAsync();
        await using var db = await fx.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        var alert = await db.Alerts.SingleAsync(a => a.BudgetId == fx.BudgetId, Ct);
        Assert.Equal((AlertState.Open, AlertSeverity.Warning, AlertKind.Threshold), (alert.State, alert.Severity, alert.Kind));
        Assert.Equal(1, Assert.Single(samples, s => s.Name == "quotaportal_alerts_open"
            && s.Has(("severity", "warning"), ("kind", "threshold"), ("state", "open"))).Value);
        Assert.Equal(0, Assert.Single(samples, s => s.Name == "quotaportal_alerts_open"
            && s.Has(("severity", "critical"), ("kind", "threshold"), ("state", "open"))).Value);
    }

    [Fact]
    public async Task Evaluation_ticks_step_failures_delivery_failures_and_the_outbox_backlog_are_reported()
    {
        var samples = await SamplesAsync();
        await using var db = await fx.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        var pending = await db.NotificationOutbox.CountAsync(n => n.Status == DeliveryStatus.Pending, Ct);
        Assert.True(pending >= 1, "the alert's notification waits for its receiver");
        Assert.Equal(pending, Assert.Single(samples, s => s.Name == "quotaportal_notification_outbox_pending").Value);
        Assert.True(Assert.Single(samples, s => s.Name == "quotaportal_notification_delivery_failures_total" && s.Has(("channel", "webhook"))).Value >= 1);
        Assert.True(Assert.Single(samples, s => s.Name == "quotaportal_evaluation_failures_total" && s.Has(("step", FlakyStep.StepName))).Value >= 1);
        Assert.True(samples.Single(s => s.Name == "quotaportal_evaluation_duration_seconds_count").Value >= 1);
    }

    [Fact]
    public async Task Rejected_usage_posts_are_counted_by_status_and_reason()
    {
        double Count(IReadOnlyList<Sample> samples, string status, string reason) =>
            samples.SingleOrDefault(s => s.Name == "quotaportal_ingest_rejected_total" && s.Has(("status", status), ("reason", reason)))?.Value ?? 0;
        var before = await SamplesAsync();
        Assert.True(Count(before, "400", "invalid") >= 1 && Count(before, "401", "unauthenticated") >= 1);

        await fx.Ingest.PostAsJsonAsync("/api/v1/usage", new[] { new { team = MetricsFixture.Team, provider = "openai" } }, Ct);
        await fx.Ingest.PostAsJsonAsync("/api/v1/usage", new { team = "nobody-here", provider = "openai", model = "gpt-4o", inputTokens = 1, outputTokens = 1 }, Ct);
        var after = await SamplesAsync();

        Assert.Equal(Count(before, "400", "invalid") + 1, Count(after, "400", "invalid"));
        Assert.Equal(Count(before, "422", "unprocessable") + 1, Count(after, "422", "unprocessable"));
        Assert.Equal(Count(before, "401", "unauthenticated"), Count(after, "401", "unauthenticated"));
    }

    [Fact]
    public async Task Another_portal_in_the_same_process_neither_shows_here_nor_takes_these_metrics_down_when_it_stops()
    {
        await using (var neighbour = new PortalFactory())
        {
            var system = AccessScope.System.WithActor("test");
            await neighbour.Service<QuotaPortal.Teams.TeamService>().CreateTeamAsync(new QuotaPortal.Teams.TeamInput("Elsewhere", "elsewhere", null, null, null), system, Ct);
            var client = await neighbour.IngestClientAsync("ingest:*");
            (await client.PostAsJsonAsync("/api/v1/usage", new { team = "elsewhere", provider = "openai", model = "gpt-4o", inputTokens = 1000, outputTokens = 10,
                timestamp = neighbour.Time.GetUtcNow() }, Ct)).EnsureSuccessStatusCode();
            Assert.DoesNotContain("elsewhere", await fx.ScrapeAsync());
        }
        var samples = await SamplesAsync();
        Assert.Contains(samples, s => s.Name == "quotaportal_budget_usage_ratio" && s.Has(("budget_id", fx.BudgetId.ToString())));
        Assert.Contains(samples, s => s.Name == "quotaportal_usage_records_total" && s.Has(Team));
        Assert.DoesNotContain(samples, s => s.Labels.Values.Contains("elsewhere"));
    }
}
