using Microsoft.EntityFrameworkCore;
using QuotaPortal.Budgets;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;

namespace QuotaPortal.Tests.Audit;

/// <summary>Audit summaries read as the pages do: money as money, counts with separators, periods as words.</summary>
public sealed class AuditSummaryMoneyTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Budget_changes_are_summarised_with_money_and_counts()
    {
        var team = (await factory.Service<TeamService>().CreateTeamAsync(new TeamInput("Audited", "audited", null, null, null), AccessScope.System.WithActor("t"), Ct)).Value!;
        var budgets = factory.Service<BudgetService>();
        Assert.True((await budgets.SaveAsync(null, new BudgetInput("Audited monthly", null, team.Id, null, null, null, BudgetMetric.Cost, 1234.5m,
            BudgetPeriod.Monthly, null, "UTC", null, null, EnforcementMode.AlertOnly, null), AccessScope.System.WithActor("t"), Ct)).Succeeded);
        Assert.True((await budgets.SaveAsync(null, new BudgetInput("Audited tokens", null, team.Id, null, null, null, BudgetMetric.Tokens, 2_500_000m,
            BudgetPeriod.Daily, null, "UTC", null, null, EnforcementMode.AlertOnly, null), AccessScope.System.WithActor("t"), Ct)).Succeeded);

        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        var summaries = await db.AuditEntries.Where(a => a.Action == "budget.create").Select(a => a.Summary).ToListAsync(Ct);

        Assert.Contains("Created budget Audited monthly: $1,234.50 per month", summaries);
        Assert.Contains("Created budget Audited tokens: 2,500,000 tokens per day", summaries);
    }
}
