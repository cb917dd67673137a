using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;

namespace QuotaPortal.Tests.Reports;

/// <summary>The report e-mail schedule from a script: GET → PUT round trip, audited, validated, admin only.</summary>
public sealed class ReportScheduleApiTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_admin_turns_the_reports_on_through_a_channel_and_reads_back_what_was_saved()
    {
        await factory.EnsureUsersAsync();
        var admin = await factory.SignedInClientAsync(PortalFactory.AdminEmail);
        var before = await admin.GetFromJsonAsync<JsonElement>("/api/v1/reports/schedule", Ct);
        Assert.False(before.GetProperty("daily").GetBoolean());

        var mail = await admin.PostAsJsonAsync("/api/v1/channels", new { name = "Finance mail", kind = "Email", url = "smtps://mail.example.com:465", recipients = "cfo@example.com" }, Ct);
        var channelId = (await mail.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
        var put = await admin.PutAsJsonAsync("/api/v1/reports/schedule", new { daily = true, weekly = false, channelIds = new[] { channelId }, hourUtc = 6 }, Ct);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        var after = await admin.GetFromJsonAsync<JsonElement>("/api/v1/reports/schedule", Ct);
        Assert.True(after.GetProperty("daily").GetBoolean());
        Assert.False(after.GetProperty("weekly").GetBoolean());
        Assert.Equal(6, after.GetProperty("hourUtc").GetInt32());
        Assert.Equal([channelId], after.GetProperty("channelIds").EnumerateArray().Select(c => c.GetGuid()));
        // GET → PUT unchanged is accepted (round trip).
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsync("/api/v1/reports/schedule", JsonContent.Create(after), Ct)).StatusCode);

        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        Assert.Contains(await db.AuditEntries.Where(a => a.Action == "report.schedule").Select(a => a.Actor).ToListAsync(Ct), a => a == PortalFactory.AdminEmail);
    }

    [Fact]
    public async Task A_bad_hour_or_an_unknown_channel_is_refused_naming_the_field_and_nothing_changes()
    {
        await factory.EnsureUsersAsync();
        var admin = await factory.SignedInClientAsync(PortalFactory.AdminEmail);
        var before = await admin.GetStringAsync("/api/v1/reports/schedule", Ct);

        var bad = await admin.PutAsJsonAsync("/api/v1/reports/schedule", new { daily = true, weekly = true, channelIds = new[] { Guid.NewGuid() }, hourUtc = 24 }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("hourUtc", out _));
        Assert.True(errors.TryGetProperty("channelIds", out _));
        Assert.Equal(before, await admin.GetStringAsync("/api/v1/reports/schedule", Ct));

        var viewer = await factory.SignedInClientAsync(PortalFactory.ViewerEmail);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync("/api/v1/reports/schedule", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PutAsJsonAsync("/api/v1/reports/schedule", new { daily = false, weekly = false }, Ct)).StatusCode);
    }
}
