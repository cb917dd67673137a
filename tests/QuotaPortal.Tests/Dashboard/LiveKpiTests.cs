using System.Net.Http.Json;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using QuotaPortal.Dashboard;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;
using QuotaPortal.Tests.Components;
using QuotaPortal.Usage;

namespace QuotaPortal.Tests.Dashboard;

/// <summary>The open dashboard's KPIs follow usage as it is posted, without a reload, at most once per few seconds.</summary>
public sealed class LiveKpiTests : BunitContext, IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;
    private readonly PortalFactory factory;

    public LiveKpiTests(PortalFactory factory)
    {
        this.factory = factory;
        foreach (var type in new[] { typeof(DashboardService), typeof(QuotaPortal.Billing.ReconciliationService), typeof(TeamService), typeof(UsageNotifier), typeof(TimeProvider), typeof(IAccessScopeResolver) })
            Services.AddSingleton(type, factory.Services.GetRequiredService(type));
        AddAuthorization().SetAuthorized(PortalFactory.AdminEmail).SetRoles(Roles.Admin);
        this.AddTestServices();
    }

    [Fact]
    public async Task Posted_usage_shows_in_spend_today_without_a_reload_and_a_burst_refreshes_once_per_interval()
    {
        await factory.EnsureUsersAsync();
        await factory.Service<TeamService>().CreateTeamAsync(new TeamInput("Live", "live", null, null, null), AccessScope.System.WithActor("test"), Ct);
        var client = await factory.IngestClientAsync("ingest:*");
        async Task PostAsync(decimal cost) => (await client.PostAsJsonAsync("/api/v1/usage", new
        {
            team = "live", provider = "openai", model = "gpt-4o", apiMethod = "chat.completions", inputTokens = 10, outputTokens = 1, cost,
            timestamp = factory.Time.GetUtcNow().AddMinutes(-1),
        }, Ct)).EnsureSuccessStatusCode();
        await PostAsync(1m);
        Render<MudPopoverProvider>();
        var page = Render<DashboardPage>();
        string SpendToday() => page.Find("[data-testid=kpi-today] [data-testid=kpi-value]").TextContent.Trim();
        page.WaitForAssertion(() => Assert.Equal("$1.00", SpendToday()));

        await PostAsync(2m);
        page.WaitForAssertion(() => Assert.Equal("$3.00", SpendToday()));

        // Within the interval the next record waits for the clock; then one refresh brings both it and the one after it.
        await PostAsync(4m);
        await PostAsync(8m);
        await Task.Delay(300, Ct);
        Assert.Equal("$3.00", SpendToday());
        factory.Time.Advance(TimeSpan.FromSeconds(3));
        page.WaitForAssertion(() => Assert.Equal("$15.00", SpendToday()));
    }
}
