using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;
using QuotaPortal.Notifications;

namespace QuotaPortal.Tests.Notifications;

/// <summary>
/// Notification channels from a script: create, read (credentials never come back), GET → PUT round trip that keeps them, test through
/// a real receiver, delete; validation problems name the field and change nothing; only admins.
/// </summary>
public sealed class ChannelsApiTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private const string SlackToken = "T0API/B0API/TokenThatMustNotComeBack";
    private const string HookSecret = "api-hmac-secret-77";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> RawSettingAsync()
    {
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        return await db.AppSettings.Where(s => s.Key == NotificationChannels.SettingKey).Select(s => s.Value).FirstOrDefaultAsync(Ct) ?? "";
    }

    [Fact]
    public async Task A_script_manages_a_channel_end_to_end_and_never_reads_a_credential_back()
    {
        await factory.EnsureUsersAsync();
        var admin = await factory.SignedInClientAsync(PortalFactory.AdminEmail);
        await using var receiver = await Receiver.StartAsync();
        receiver.Down = false;

        var created = await admin.PostAsJsonAsync("/api/v1/channels", new
        {
            name = "Search Slack", kind = "Slack", url = $"{receiver.BaseUrl}/services/{SlackToken}", minSeverity = "Critical", teams = new[] { "search" },
        }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var text = await created.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain(SlackToken, text);
        var channel = JsonDocument.Parse(text).RootElement;
        var id = channel.GetProperty("id").GetGuid();
        Assert.Equal(created.Headers.Location!.ToString(), $"/api/v1/channels/{id}");
        Assert.Equal($"{receiver.BaseUrl}/…", channel.GetProperty("url").GetString());
        Assert.True(channel.GetProperty("urlIsSecret").GetBoolean());

        // GET → PUT with only the name changed: the Slack URL (shown as scheme and host) is kept, so delivery still reaches the token path.
        var got = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/channels/{id}", Ct);
        var edited = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(got.GetRawText())!;
        edited["name"] = JsonSerializer.SerializeToElement("Search alerts");
        var put = await admin.PutAsJsonAsync($"/api/v1/channels/{id}", edited, Ct);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal("Search alerts", (await put.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("name").GetString());
        Assert.DoesNotContain(SlackToken, await RawSettingAsync());   // still encrypted at rest

        var test = await admin.PostAsync($"/api/v1/channels/{id}/test", null, Ct);
        Assert.Equal(HttpStatusCode.OK, test.StatusCode);
        Assert.Contains(receiver.Requests, r => r.Path == $"/services/{SlackToken}" && r.Body.Contains("QuotaPortal test notification"));

        var list = await admin.GetStringAsync("/api/v1/channels", Ct);
        Assert.Contains("Search alerts", list);
        Assert.DoesNotContain(SlackToken, list);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/channels/{id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/v1/channels/{id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync($"/api/v1/channels/{id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync($"/api/v1/channels/{id}/test", null, Ct)).StatusCode);

        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        var actions = await db.AuditEntries.Where(a => a.EntityType == "NotificationChannel" && a.EntityId == id.ToString()).Select(a => a.Action).ToListAsync(Ct);
        Assert.Equal(["notification.channel-create", "notification.channel-delete", "notification.channel-update"], actions.Order());
    }

    [Fact]
    public async Task A_webhook_secret_is_write_only_kept_on_update_and_a_failing_receiver_answers_502()
    {
        await factory.EnsureUsersAsync();
        var admin = await factory.SignedInClientAsync(PortalFactory.AdminEmail);
        await using var receiver = await Receiver.StartAsync();   // down: answers 503

        var created = await admin.PostAsJsonAsync("/api/v1/channels", new { name = "Hook", kind = "Webhook", url = $"{receiver.BaseUrl}/hook", secret = HookSecret }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var channel = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(channel.GetProperty("secretSet").GetBoolean());
        Assert.DoesNotContain(HookSecret, channel.GetRawText());
        var id = channel.GetProperty("id").GetGuid();

        var put = await admin.PutAsJsonAsync($"/api/v1/channels/{id}", new { name = "Hook", kind = "Webhook", url = $"{receiver.BaseUrl}/hook", enabled = false }, Ct);
        Assert.True((await put.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("secretSet").GetBoolean());

        var test = await admin.PostAsync($"/api/v1/channels/{id}/test", null, Ct);
        Assert.Equal(HttpStatusCode.BadGateway, test.StatusCode);
        Assert.Equal(NotificationChannels.TestFailed, (await test.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString());

        var cleared = await admin.PutAsJsonAsync($"/api/v1/channels/{id}", new { name = "Hook", kind = "Webhook", url = $"{receiver.BaseUrl}/hook", clearSecret = true }, Ct);
        Assert.False((await cleared.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("secretSet").GetBoolean());
    }

    [Fact]
    public async Task Bad_input_is_refused_naming_the_field_and_changes_nothing()
    {
        await factory.EnsureUsersAsync();
        var admin = await factory.SignedInClientAsync(PortalFactory.AdminEmail);
        var before = await RawSettingAsync();

        var bad = await admin.PostAsJsonAsync("/api/v1/channels", new { name = "", kind = "PagerDuty", url = "ftp://x" }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
        foreach (var field in new[] { "name", "url", "secret" })
            Assert.True(errors.TryGetProperty(field, out _), field);
        var mail = await admin.PostAsJsonAsync("/api/v1/channels", new { name = "Mail", kind = "Email", url = "smtps://mail.example.com:465", recipients = "not-an-address" }, Ct);
        Assert.True((await mail.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").TryGetProperty("recipients", out _));
        var kind = await admin.PostAsJsonAsync("/api/v1/channels", new { name = "X", kind = "Carrier pigeon", url = "https://example.com" }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, kind.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PutAsJsonAsync($"/api/v1/channels/{Guid.NewGuid()}", new { name = "X", kind = "Webhook", url = "https://example.com" }, Ct)).StatusCode);

        Assert.Equal(before, await RawSettingAsync());
    }

    [Fact]
    public async Task Only_admins_may_read_or_change_channels()
    {
        await factory.EnsureUsersAsync();
        var viewer = await factory.SignedInClientAsync(PortalFactory.ViewerEmail);
        var ingest = await factory.IngestClientAsync("ingest:*");
        foreach (var client in new[] { viewer, ingest })
        {
            Assert.True((await client.GetAsync("/api/v1/channels", Ct)).StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Redirect);
            var post = await client.PostAsJsonAsync("/api/v1/channels", new { name = "X", kind = "Webhook", url = "https://example.com" }, Ct);
            Assert.True(post.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Redirect, post.StatusCode.ToString());
        }
        Assert.DoesNotContain("\"X\"", await RawSettingAsync());
    }
}
