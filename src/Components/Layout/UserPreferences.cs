using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuotaPortal.Data;
using QuotaPortal.Kernel;

namespace QuotaPortal.Components.Layout;

/// <summary>Per-user UI choices (theme, time zone), remembered across devices because they live on the user row.</summary>
public sealed class UserPreferences(IDbContextFactory<QuotaDbContext> dbFactory, IOptions<PortalOptions> portal)
{
    public async Task<bool?> GetDarkModeAsync(string userId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Users.Where(u => u.Id == userId).Select(u => u.PrefersDarkMode).FirstOrDefaultAsync(ct);
    }

    public async Task SetDarkModeAsync(string userId, bool dark, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(s => s.SetProperty(u => u.PrefersDarkMode, dark), ct);
    }

    /// <summary>The clock the user reads times in: their own zone (AspNetUsers.TimeZone), else the portal default (Portal:DefaultTimeZone).</summary>
    public async Task<ViewerClock> GetClockAsync(string? userId, CancellationToken ct = default)
    {
        string? zone = null;
        if (userId is not null)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            zone = await db.Users.Where(u => u.Id == userId).Select(u => u.TimeZone).FirstOrDefaultAsync(ct);
        }
        return ViewerClock.For(zone) ?? ViewerClock.For(portal.Value.DefaultTimeZone) ?? ViewerClock.Utc;
    }

    /// <returns>The new clock, or null when <paramref name="zoneId"/> is not a known IANA zone (nothing is stored then).</returns>
    public async Task<ViewerClock?> SetTimeZoneAsync(string userId, string zoneId, CancellationToken ct = default)
    {
        if (ViewerClock.For(zoneId) is not { } clock)
            return null;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(s => s.SetProperty(u => u.TimeZone, clock.ZoneId), ct);
        return clock;
    }
}
