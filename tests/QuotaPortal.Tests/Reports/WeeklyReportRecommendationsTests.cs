using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Recommendations;
using QuotaPortal.Reports;
using QuotaPortal.Teams;
using QuotaPortal.Usage;

namespace QuotaPortal.Tests.Reports;

/// <summary>The weekly report lists what the recommendations page would say first, and what implemented ones saved.</summary>
public sealed class WeeklyReportRecommendationsTests(PortalFactory factory) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private int alpha, beta;

    public async ValueTask InitializeAsync()
    {
        var teams = factory.Service<TeamService>();
        var system = AccessScope.System.WithActor("test");
        if (await teams.FindTeamAsync("alpha", Ct) is { } existing)
        {
            (alpha, beta) = (existing.Id, (await teams.FindTeamAsync("beta", Ct))!.Id);
            return;
        }
        alpha = (await teams.CreateTeamAsync(new TeamInput("Alpha", "alpha", null, null, null), system, Ct)).Value!.Id;
        beta = (await teams.CreateTeamAsync(new TeamInput("Beta", "beta", null, null, null), system, Ct)).Value!.Id;
        var now = factory.Time.GetUtcNow().UtcDateTime; // Mon 23 Nov 10:00
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        // Open: Alpha $10, $20, $30, $40; Beta $50, $60, $70; a dismissed $500 (not possible) and an accepted $400 (possible, not "open").
        foreach (var (team, saving, i) in new[] { (alpha, 10m, 1), (alpha, 20m, 2), (alpha, 30m, 3), (alpha, 40m, 4), (beta, 50m, 5), (beta, 60m, 6), (beta, 70m, 7) })
            db.Recommendations.Add(Rec($"open {i}", team, saving, RecommendationStatus.Open, now));
        db.Recommendations.Add(Rec("dismissed", beta, 500m, RecommendationStatus.Dismissed, now));
        db.Recommendations.Add(Rec("accepted", alpha, 400m, RecommendationStatus.Accepted, now));
        // Implemented 10 days ago on Alpha's gpt-4o chat calls: before, 1,000 calls for $20 ($0.02 each); since, 500 calls for $5 ($0.01 each).
        var done = Rec("cap answers", alpha, 25m, RecommendationStatus.Implemented, now);
        (done.Kind, done.Provider, done.Model, done.ApiMethod, done.ImplementedAt) = (RecommendationKind.OutputLength, "openai", "gpt-4o", "chat.completions", now.AddDays(-10));
        db.Recommendations.Add(done);
        db.UsageRecords.AddRange(Usage(alpha, now.AddDays(-20), 1000, 20m), Usage(alpha, now.AddDays(-5), 500, 5m));
        await db.SaveChangesAsync(Ct);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static Recommendation Rec(string title, int team, decimal saving, RecommendationStatus status, DateTime now) => new()
    {
        Key = $"test|{title}", Kind = RecommendationKind.ModelRightSizing, Status = status, TeamId = team, Title = title, Summary = title, Risk = "none",
        DetailsJson = """{"evidence":[],"calculation":[],"steps":[]}""", MonthlySaving = saving, ScopeMonthlySpend = 1000, CreatedAt = now, UpdatedAt = now,
        WindowFrom = now.AddDays(-30), WindowTo = now,
    };

    private static UsageRecord Usage(int team, DateTime at, int requests, decimal cost) => new()
    {
        TeamId = team, Provider = "openai", Model = "gpt-4o", ApiMethod = "chat.completions", Requests = requests, CostNanos = Money.ToNanos(cost),
        Timestamp = at, ReceivedAt = at,
    };

    [Fact]
    public async Task Weekly_report_lists_the_top_five_open_recommendations_and_the_realised_saving()
    {
        var report = await factory.Service<ReportService>().BuildAsync(ReportKind.Weekly, AccessScope.System, ct: Ct);

        var d = report.Recommendations;
        Assert.Equal(["open 7", "open 6", "open 5", "open 4", "open 3"], d.TopOpen.Select(o => o.Title));
        Assert.Equal(7, d.OpenCount);
        // "Possible" is one figure everywhere: the seven open ($280) and the accepted one ($400), as the recommendations page says.
        Assert.Equal(1, d.AcceptedCount);
        Assert.Equal(680m, d.PossibleMonthlySaving);
        Assert.Equal((await factory.Service<RecommendationService>().ListAsync(AccessScope.System, new RecommendationFilter(), Ct)).MonthlySaving,
            d.PossibleMonthlySaving);
        var done = Assert.Single(d.Implemented);
        // ($0.02 − $0.01) per call × 500 calls in 10 days × 30 / 10 = $15 a month.
        Assert.Equal(15m, done.RealisedMonthly);
        Assert.Equal(15m, d.RealisedMonthlySaving);

        var text = ReportService.ToText(report);
        Assert.Contains("Open recommendations: 7 (and 1 accepted, not yet implemented), $680.00/month possible", text);
        Assert.Contains("$70.00/month  open 7 (Beta)", text);
        Assert.DoesNotContain("open 2", text);
        Assert.Contains("Implemented: 1, realised $15.00/month", text);
        var csv = ReportService.ToCsv(report);
        Assert.Contains("recommendation_monthly_usd,open 7 (Beta),70.00", csv);
        Assert.Contains("implemented_realised_monthly_usd,cap answers (Alpha),15.00", csv);
    }

    [Fact]
    public async Task A_team_scoped_report_shows_only_that_teams_recommendations_and_daily_reports_none()
    {
        var reports = factory.Service<ReportService>();
        var onlyBeta = AccessScope.ForTeams("beta-lead@example.com", [beta], []);

        var weekly = await reports.BuildAsync(ReportKind.Weekly, onlyBeta, ct: Ct);

        Assert.Equal(["open 7", "open 6", "open 5"], weekly.Recommendations.TopOpen.Select(o => o.Title));
        Assert.Empty(weekly.Recommendations.Implemented);
        Assert.Equal(0m, weekly.Recommendations.RealisedMonthlySaving);
        var daily = await reports.BuildAsync(ReportKind.Daily, AccessScope.System, ct: Ct);
        Assert.Empty(daily.Recommendations.TopOpen);
        Assert.DoesNotContain("Open recommendations", ReportService.ToText(daily));
    }
}
