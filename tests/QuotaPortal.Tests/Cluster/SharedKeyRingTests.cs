using System.Net;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;
using QuotaPortal.Tests.Notifications;

namespace QuotaPortal.Tests.Cluster;

/// <summary>The Data Protection key ring in the database: cookies and antiforgery tokens of one instance work on another; old folder keys are imported.</summary>
public sealed class SharedKeyRingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_sign_in_started_on_one_instance_and_finished_on_another_works_on_both()
    {
        await using var database = new SharedDatabase();
        var a = await database.StartAsync();
        var b = await database.StartAsync();
        await a.EnsureAdminAsync();
        var jar = new CookieContainer();
        var onA = a.CookieClient(jar);
        var onB = b.CookieClient(jar);

        // The form (antiforgery cookie and token) from A, the post to B: B validates A's token and issues the sign-in cookie.
        var form = await onA.GetStringAsync("/Account/Login", Ct);
        var token = System.Text.RegularExpressions.Regex.Match(form, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        var posted = await onB.PostAsync("/Account/Login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token, ["_handler"] = "login", ["Input.Email"] = PortalFactory.AdminEmail, ["Input.Password"] = PortalFactory.Password,
        }), Ct);
        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        Assert.DoesNotContain("/Account/Login", posted.Headers.Location?.ToString() ?? "");

        // B's cookie on A.
        Assert.Equal(HttpStatusCode.OK, (await onA.GetAsync("/api/v1/teams", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await onB.GetAsync("/api/v1/teams", Ct)).StatusCode);
        await using var db = await a.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        Assert.Single(await db.DataProtectionKeys.ToListAsync(Ct));
    }

    [Fact]
    public async Task Keys_an_older_version_kept_in_a_folder_are_imported_once_and_still_decrypt()
    {
        var folder = Directory.CreateTempSubdirectory("qp-old-keys-");
        try
        {
            // What an older portal wrote: its key ring in App_Data/keys, and something it encrypted with it.
            var old = DataProtectionProvider.Create(folder, b => b.SetApplicationName("QuotaPortal"));
            var secret = old.CreateProtector("test-purpose").Protect("channel credential");
            var keyFiles = folder.GetFiles("key-*.xml").Length;
            Assert.Equal(1, keyFiles);

            await using var database = new SharedDatabase();
            var first = await database.StartAsync(("DataProtection:KeysPath", folder.FullName));
            Assert.Equal("channel credential", first.Service<IDataProtectionProvider>().CreateProtector("test-purpose").Unprotect(secret));
            await first.DisposeAsync();

            // A later start with the folder still there copies nothing again: the database's ring is the one.
            var second = await database.StartAsync(("DataProtection:KeysPath", folder.FullName));
            Assert.Equal("channel credential", second.Service<IDataProtectionProvider>().CreateProtector("test-purpose").Unprotect(secret));
            await using var db = await second.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
            Assert.Equal(keyFiles, await db.DataProtectionKeys.CountAsync(Ct));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
