using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace QuotaPortal.Tests.Settings;

/// <summary>GET /api/v1/settings: the Settings page as JSON for monitoring, admin only, never a credential.</summary>
public sealed class SettingsApiTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_admin_reads_the_system_evaluation_and_instance_state()
    {
        await factory.EnsureUsersAsync();
        var admin = await factory.SignedInClientAsync(PortalFactory.AdminEmail);
        var view = await admin.GetFromJsonAsync<JsonElement>("/api/v1/settings", Ct);

        var system = view.GetProperty("system");
        Assert.Equal(0, system.GetProperty("pendingMigrations").GetInt32());
        Assert.True(system.GetProperty("appliedMigrations").GetInt32() > 0);
        Assert.Matches("^(SQLite|PostgreSQL) ", system.GetProperty("database").GetString());
        Assert.False(string.IsNullOrEmpty(system.GetProperty("defaultTimeZone").GetString()));
        Assert.InRange(view.GetProperty("evaluation").GetProperty("intervalSeconds").GetInt32(), 5, 3600);
        Assert.False(string.IsNullOrEmpty(view.GetProperty("instances").GetProperty("instanceId").GetString()));
        Assert.DoesNotContain("Password", view.GetRawText(), StringComparison.OrdinalIgnoreCase);

        var viewer = await factory.SignedInClientAsync(PortalFactory.ViewerEmail);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync("/api/v1/settings", Ct)).StatusCode);
    }
}
