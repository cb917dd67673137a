using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using QuotaPortal.Audit;
using QuotaPortal.Components.Layout;
using QuotaPortal.Kernel;
using QuotaPortal.Tests.Components;

namespace QuotaPortal.Tests.Kernel;

public sealed class ViewerClockTests
{
    private static DateTime Utc(int y, int mo, int d, int h, int mi) => new(y, mo, d, h, mi, 0, DateTimeKind.Utc);

    [Fact]
    public void On_the_night_Berlin_clocks_go_back_the_repeated_half_hour_is_told_apart_by_its_offset()
    {
        var berlin = ViewerClock.For("Europe/Berlin")!;

        Assert.Equal("2026-10-25 02:30 UTC+2", berlin.Stamp(Utc(2026, 10, 25, 0, 30)));
        Assert.Equal("2026-10-25 02:30 UTC+1", berlin.Stamp(Utc(2026, 10, 25, 1, 30)));
        Assert.Equal("2026-11-14 09:30 (Europe/Berlin, UTC+1)", berlin.Named(Utc(2026, 11, 14, 8, 30)));
    }

    [Fact]
    public void New_York_on_its_fall_back_day_and_utc_viewers_read_the_instant_in_their_zone_named()
    {
        var newYork = ViewerClock.For("America/New_York")!;

        Assert.Equal("2026-11-01 01:30 UTC-4", newYork.Stamp(Utc(2026, 11, 1, 5, 30)));
        Assert.Equal("2026-11-01 01:30 UTC-5", newYork.Stamp(Utc(2026, 11, 1, 6, 30)));
        Assert.Equal("2026-10-31 20:00:15 UTC-4", newYork.StampSeconds(Utc(2026, 11, 1, 0, 0).AddSeconds(15)));
        Assert.Equal("2026-11-01 06:30 UTC", ViewerClock.Utc.Named(Utc(2026, 11, 1, 6, 30)));
        Assert.Equal("UTC+5:30", ViewerClock.For("Asia/Kolkata")!.Offset(Utc(2026, 11, 1, 6, 30)));
    }

    [Fact]
    public void Unknown_zone_ids_give_no_clock_and_the_picker_lists_iana_ids_with_utc_first()
    {
        Assert.Null(ViewerClock.For("Mars/Olympus_Mons"));
        Assert.Null(ViewerClock.For(""));
        var zones = ViewerClock.KnownZones();
        Assert.Equal("UTC", zones[0]);
        Assert.Contains("Europe/Berlin", zones);
        Assert.Contains("America/New_York", zones);
    }
}

/// <summary>The user's chosen zone, stored on their row, and a page showing a time stamped on a DST day in it.</summary>
public sealed class ViewerTimeZoneTests : BunitContext, IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;
    private readonly PortalFactory factory;

    public ViewerTimeZoneTests(PortalFactory factory)
    {
        this.factory = factory;
        Services.AddSingleton(factory.Service<AuditQueries>());
        AddAuthorization().SetAuthorized(PortalFactory.AdminEmail).SetRoles(Roles.Admin);
        this.AddTestServices();
    }

    [Fact]
    public async Task A_users_zone_is_stored_on_their_row_defaults_to_utc_and_an_unknown_zone_is_refused()
    {
        await factory.EnsureUsersAsync();
        var user = (await factory.Service<QuotaPortal.Users.UserService>().ListAsync(Ct)).Single(u => u.Email == PortalFactory.ViewerEmail);
        await using var scope = factory.Services.CreateAsyncScope();
        var preferences = scope.ServiceProvider.GetRequiredService<UserPreferences>();

        Assert.Equal("UTC", (await preferences.GetClockAsync(user.Id, Ct)).ZoneId);
        Assert.Null(await preferences.SetTimeZoneAsync(user.Id, "Mars/Olympus_Mons", Ct));
        Assert.Equal("UTC", (await preferences.GetClockAsync(user.Id, Ct)).ZoneId);
        Assert.Equal("America/New_York", (await preferences.SetTimeZoneAsync(user.Id, "America/New_York", Ct))!.ZoneId);
        Assert.Equal("America/New_York", (await preferences.GetClockAsync(user.Id, Ct)).ZoneId);
    }

    [Fact]
    public async Task The_audit_log_shows_an_entry_from_berlins_repeated_hour_in_the_viewers_zone_with_its_offset()
    {
        // Stored as AuditLog stores it (UTC), at the second 02:30 of Berlin's fall-back night.
        await using (var db = await factory.Service<Microsoft.EntityFrameworkCore.IDbContextFactory<QuotaPortal.Data.QuotaDbContext>>().CreateDbContextAsync(Ct))
        {
            db.AuditEntries.Add(new AuditEntry { At = new DateTime(2026, 10, 25, 1, 30, 0, DateTimeKind.Utc), Actor = "dst@example.com", Action = "test.dst",
                EntityType = "Test", Summary = "Stamped on the fall-back night" });
            await db.SaveChangesAsync(Ct);
        }
        Render<MudPopoverProvider>();

        var page = Render<Microsoft.AspNetCore.Components.CascadingValue<ViewerClock>>(p => p.Add(c => c.Value, ViewerClock.For("Europe/Berlin")!)
            .AddChildContent<AuditPage>());

        page.WaitForAssertion(() => Assert.Contains("2026-10-25 02:30:00 UTC+1", page.Find("[data-testid=audit-grid]").TextContent));
    }
}
