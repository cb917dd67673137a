using QuotaPortal.Kernel;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;
using QuotaPortal.Users;

namespace QuotaPortal.Tests.Users;

public sealed class UserServiceTests(PortalFactory factory) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    public async ValueTask InitializeAsync() => await factory.EnsureUsersAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Role_change_is_audited_with_before_and_after()
    {
        var ct = TestContext.Current.CancellationToken;
        var users = factory.Service<UserService>();
        var created = await users.CreateAsync(new NewUser("promote-me@example.com", null, PortalFactory.Password, Roles.Viewer), AccessScope.System.WithActor(PortalFactory.AdminEmail), ct);

        var promoted = await users.SetRoleAsync(created.Value!.Id, Roles.Admin, AccessScope.System.WithActor(PortalFactory.AdminEmail), ct);

        Assert.Equal(Roles.Admin, promoted.Value!.Role);
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(ct);
        var entry = await db.AuditEntries.SingleAsync(a => a.Action == "user.role-change" && a.EntityId == created.Value.Id, ct);
        Assert.Equal(PortalFactory.AdminEmail, entry.Actor);
        Assert.Contains("Viewer", entry.BeforeJson);
        Assert.Contains("Admin", entry.AfterJson);
    }

    [Fact]
    public async Task Short_password_is_refused_naming_the_password_field()
    {
        var result = await factory.Service<UserService>().CreateAsync(new NewUser("short@example.com", null, "short", Roles.Viewer), AccessScope.System.WithActor("test"), TestContext.Current.CancellationToken);
        Assert.True(result.Errors.ContainsKey("password"));
        Assert.DoesNotContain(await factory.Service<UserService>().ListAsync(TestContext.Current.CancellationToken), u => u.Email == "short@example.com");
    }

    [Fact]
    public async Task Second_setup_is_refused()
    {
        var result = await factory.Service<SetupService>().CreateFirstAdminAsync("intruder@example.com", null, PortalFactory.Password, "anonymous", TestContext.Current.CancellationToken);
        Assert.False(result.Succeeded);
        Assert.DoesNotContain(await factory.Service<UserService>().ListAsync(TestContext.Current.CancellationToken), u => u.Email == "intruder@example.com");
    }
}

/// <summary>Own fixture: other tests add admins, and this one needs exactly one.</summary>
public sealed class LastAdminTests(PortalFactory factory) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    public async ValueTask InitializeAsync() => await factory.EnsureUsersAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task The_last_admin_can_be_neither_demoted_nor_deleted()
    {
        var users = factory.Service<UserService>();
        var admin = (await users.ListAsync(TestContext.Current.CancellationToken)).Single(u => u.Email == PortalFactory.AdminEmail);

        var demote = await users.SetRoleAsync(admin.Id, Roles.Viewer, AccessScope.System.WithActor("someone@example.com"), TestContext.Current.CancellationToken);
        var delete = await users.DeleteAsync(admin.Id, AccessScope.System.WithActor("someone@example.com"), TestContext.Current.CancellationToken);

        Assert.Contains("last admin", demote.Errors["role"][0]);
        Assert.Contains("last admin", delete.Errors["userId"][0]);
        Assert.Equal(Roles.Admin, (await users.ListAsync(TestContext.Current.CancellationToken)).Single(u => u.Email == PortalFactory.AdminEmail).Role);
    }
}
