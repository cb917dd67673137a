using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using QuotaPortal.Billing;
using QuotaPortal.Cluster;
using QuotaPortal.Kernel;

namespace QuotaPortal.Tests.Billing;

public sealed class BillingScheduleTests(BillingPortal portal) : IClassFixture<BillingPortal>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("Billing:IntervalMinutes", "0")]
    [InlineData("Billing:SettleDays", "40")]
    [InlineData("Billing:DefaultBackfillDays", "-1")]
    public void A_bad_billing_setting_stops_the_start_naming_the_key(string key, string value)
    {
        using var bad = portal.Root.WithWebHostBuilder(b => b.UseSetting(key, value));

        var error = Assert.Throws<OptionsValidationException>(() => bad.CreateClient());
        Assert.Contains(key.Split(':')[1], error.Message);
    }

    [Fact]
    public async Task In_Production_a_plain_http_base_url_is_refused_because_the_key_travels_in_its_headers()
    {
        await using var production = portal.Root.WithWebHostBuilder(b => b.UseEnvironment("Production"));
        var service = production.Services.GetRequiredService<BillingConnectionService>();

        var plain = await service.CreateAsync(new BillingConnectionInput("openai", "Prod", "http://billing-proxy.internal", "sk-admin-x"),
            AccessScope.System, Ct);
        var tls = await service.CreateAsync(new BillingConnectionInput("openai", "Prod", "https://billing-proxy.internal", "sk-admin-x"),
            AccessScope.System, Ct);

        Assert.Equal(["baseUrl"], plain.Errors.Keys);
        Assert.True(tls.Succeeded, tls.ErrorText);
        Assert.True((await service.CreateAsync(new BillingConnectionInput("openai", "Sneaky", null, "sk-admin-x"), AccessScope.ReadEverything("viewer"), Ct)).Forbidden);
    }

    [Fact]
    public async Task The_loop_pulls_every_interval_on_the_instance_holding_the_billing_lease()
    {
        var key = $"sk-admin-{Guid.NewGuid():N}";
        await using var fake = FakeBillingApi.OpenAi(key);
        await using var running = portal.App.WithWebHostBuilder(b => b.UseSetting("Billing:Enabled", "true"));
        var leases = running.Services.GetRequiredService<LeaseService>(); // starts the host and the loop
        await WaitUntilAsync(() => leases.StateOf(BillingSyncService.LeaseName)?.HeldHere == true);
        await portal.AddConnectionAsync("openai", fake.BaseUrl, key);
        int HourlyPulls() => fake.Requests.Count(r => r.Path == "/v1/organization/usage/completions" && r.Query.Contains("bucket_width=1h"));

        portal.Root.Time.Advance(TimeSpan.FromMinutes(60));
        await WaitUntilAsync(() => HourlyPulls() >= 1);
        var after = HourlyPulls();
        portal.Root.Time.Advance(TimeSpan.FromMinutes(60));
        await WaitUntilAsync(() => HourlyPulls() > after);

        Assert.Contains(fake.Requests, r => r.Path == "/v1/organization/costs");
        Assert.Equal(BillingSyncService.LeaseName, Assert.Single(leases.States, s => s.Name == BillingSyncService.LeaseName && s.HeldHere).Name);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 600 && !condition(); i++) // up to 30 s: this machine is shared and often loaded
            await Task.Delay(50, Ct);
        Assert.True(condition());
    }
}
