using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuotaPortal.Cluster;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Pricing;
using QuotaPortal.Users;

namespace QuotaPortal.Composition;

/// <summary>Brings a database to a usable state: schema (and WAL on SQLite), roles, default prices, and the optional bootstrap admin.</summary>
public sealed class DatabaseInitializer(IServiceScopeFactory scopes, TimeProvider time,
    IOptions<BootstrapOptions> bootstrap, ILogger<DatabaseInitializer> log)
{
    public async Task MigrateAsync(CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<QuotaDbContext>();
        var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
        await db.Database.MigrateAsync(ct);
        // WAL lets dashboards read while ingestion writes; the mode is stored in the file, so once is enough.
        if (db.Database.IsSqlite())
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
        if (pending.Count > 0)
            log.LogInformation("Applied {Count} migration(s): {Migrations}", pending.Count, string.Join(", ", pending));
    }

    public async Task SeedAsync(CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<QuotaDbContext>();
        // Before anything encrypts or decrypts: a key ring kept in a folder by an older version joins the database's.
        await scope.ServiceProvider.GetRequiredService<KeyRingImport>().ImportAsync(ct);
        await ChangeVersions.EnsureRowsAsync(db, time.GetUtcNow().UtcDateTime, ct);
        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var role in Roles.All)
        {
            if (!await roles.RoleExistsAsync(role))
                await roles.CreateAsync(new IdentityRole(role));
        }

        if (!await db.ModelPrices.AnyAsync(ct))
        {
            db.ModelPrices.AddRange(DefaultPrices.Create(time.GetUtcNow().UtcDateTime));
            await db.SaveChangesAsync(ct);
        }

        var b = bootstrap.Value;
        var setup = scope.ServiceProvider.GetRequiredService<SetupService>();
        // Until an Admin exists (viewers alone do not count), as for the setup page.
        if (!string.IsNullOrWhiteSpace(b.AdminEmail) && !string.IsNullOrEmpty(b.AdminPassword) && !await setup.IsCompleteAsync(ct))
        {
            var result = await setup.CreateFirstAdminAsync(b.AdminEmail, null, b.AdminPassword, Actor.System, ct);
            if (!result.Succeeded)
                throw new InvalidOperationException($"Bootstrap admin could not be created: {result.ErrorText}");
            log.LogInformation("Created bootstrap admin {Email} from configuration", b.AdminEmail);
        }
    }
}
