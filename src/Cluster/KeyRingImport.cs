using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;

namespace QuotaPortal.Cluster;

/// <summary>
/// The Data Protection key ring lives in the database (DataProtectionKeys), so every instance encrypts and decrypts cookies, antiforgery
/// tokens and channel credentials with the same keys. An installation that kept its keys in a folder (DataProtection:KeysPath,
/// App_Data/keys) has them copied in once, at start-up, while the table is still empty: existing sign-ins and stored secrets keep working.
/// </summary>
public sealed class KeyRingImport(IDbContextFactory<QuotaDbContext> dbFactory, LeaseService leases, IHostEnvironment env, IConfiguration config,
    ILogger<KeyRingImport> log)
{
    public const string FolderSetting = "DataProtection:KeysPath";

    public string LegacyFolder => Path.Combine(env.ContentRootPath, config[FolderSetting] ?? Path.Combine("App_Data", "keys"));

    /// <returns>How many keys were copied (0 when the table had keys, or the folder none).</returns>
    public async Task<int> ImportAsync(CancellationToken ct = default)
    {
        var folder = new DirectoryInfo(LegacyFolder);
        if (!folder.Exists || folder.GetFiles("*.xml") is not { Length: > 0 } files)
            return 0;
        var imported = 0;
        // Two instances starting together on an upgraded installation copy the keys once, not twice.
        await leases.RunIfHolderAsync("keyring-import", LeaseService.MinimumTtl, async token =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(token);
            if (await db.DataProtectionKeys.AnyAsync(token))
                return;
            foreach (var file in files.OrderBy(f => f.Name, StringComparer.Ordinal))
                db.DataProtectionKeys.Add(new DataProtectionKey
                {
                    // As the file and database repositories both name a key: "key-<id>".
                    FriendlyName = Path.GetFileNameWithoutExtension(file.Name),
                    Xml = XElement.Load(file.FullName).ToString(SaveOptions.DisableFormatting),
                });
            await db.SaveChangesAsync(token);
            imported = files.Length;
            log.LogInformation("Copied {Count} Data Protection key(s) from {Folder} into the database; the folder is no longer read", imported, folder.FullName);
        }, ct, releaseAfter: true);
        return imported;
    }
}
