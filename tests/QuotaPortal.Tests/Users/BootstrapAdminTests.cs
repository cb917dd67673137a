using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using QuotaPortal.Kernel;
using QuotaPortal.Users;

namespace QuotaPortal.Tests.Users;

public sealed class BootstrapAdminTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Admin_from_configuration_is_created_at_start_up_and_skips_setup()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var configured = factory.WithWebHostBuilder(b =>
        {
            b.UseSetting("Bootstrap:AdminEmail", "robot-admin@example.com");
            b.UseSetting("Bootstrap:AdminPassword", "from-the-environment");
        });

        var users = await configured.Services.GetRequiredService<UserService>().ListAsync(ct);

        var admin = Assert.Single(users);
        Assert.Equal("robot-admin@example.com", admin.Email);
        Assert.Equal(Roles.Admin, admin.Role);
        var response = await configured.CreateClient(new() { AllowAutoRedirect = false }).GetAsync("/", ct);
        Assert.Contains("/Account/Login", response.Headers.Location?.ToString());
    }

}

public sealed class BootstrapOverViewersTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task A_database_with_only_viewers_still_gets_the_admin_from_configuration()
    {
        var ct = TestContext.Current.CancellationToken;
        await factory.Service<UserService>().CreateAsync(new NewUser("early-viewer@example.com", null, PortalFactory.Password, Roles.Viewer),
            AccessScope.System.WithActor("test"), ct);
        await using var configured = factory.WithWebHostBuilder(b =>
        {
            b.UseSetting("Bootstrap:AdminEmail", "robot-admin@example.com");
            b.UseSetting("Bootstrap:AdminPassword", "from-the-environment");
        });

        var users = await configured.Services.GetRequiredService<UserService>().ListAsync(ct);

        Assert.Equal(Roles.Admin, users.Single(u => u.Email == "robot-admin@example.com").Role);
        Assert.Equal(Roles.Viewer, users.Single(u => u.Email == "early-viewer@example.com").Role);
    }
}
