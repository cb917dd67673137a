using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CsvHelper;

namespace QuotaPortal.Tests.Audit;

/// <summary>The audit log from a script: filters by actor, entity, action and dates, paging, before/after as JSON, a CSV of everything matching.</summary>
public sealed class AuditApiTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<HttpClient> SeedAsync()
    {
        await factory.EnsureUsersAsync();
        var admin = await factory.SignedInClientAsync(PortalFactory.AdminEmail);
        var list = await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?entityType=Team&action=team.create&pageSize=500", Ct);
        if (list.GetProperty("total").GetInt32() < 3)
        {
            foreach (var slug in new[] { "audit-a", "audit-b", "audit-c" })
                (await admin.PostAsJsonAsync("/api/v1/teams", new { name = slug == "audit-c" ? "=HYPERLINK(\"x\")" : slug, slug }, Ct)).EnsureSuccessStatusCode();
            var team = await admin.GetFromJsonAsync<JsonElement>("/api/v1/teams/audit-a", Ct);
            (await admin.PutAsJsonAsync($"/api/v1/teams/{team.GetProperty("id").GetInt32()}", new { name = "Audit A renamed", slug = "audit-a" }, Ct)).EnsureSuccessStatusCode();
        }
        return admin;
    }

    [Fact]
    public async Task Filters_by_actor_entity_and_action_prefix_page_newest_first_with_before_and_after_as_json()
    {
        var admin = await SeedAsync();

        var creates = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/audit?actor={PortalFactory.AdminEmail}&entityType=Team&action=team.create", Ct);
        var items = creates.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(3, items.Count(i => i.GetProperty("summary").GetString()!.Contains("audit-", StringComparison.Ordinal)));
        Assert.All(items, i => Assert.Equal(("team.create", PortalFactory.AdminEmail), (i.GetProperty("action").GetString(), i.GetProperty("actor").GetString())));
        var ids = items.Select(i => i.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(ids.OrderDescending(), ids);

        // "team." is every verb on teams: the rename is there, with its before and after as objects.
        var teamA = await admin.GetFromJsonAsync<JsonElement>("/api/v1/teams/audit-a", Ct);
        var history = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/audit?entityType=Team&entityId={teamA.GetProperty("id").GetInt32()}&action=team.", Ct);
        Assert.Equal(["team.update", "team.create"], history.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("action").GetString()!));
        var update = history.GetProperty("items")[0];
        Assert.Equal(JsonValueKind.Object, update.GetProperty("before").ValueKind);
        Assert.Equal("Audit A renamed", update.GetProperty("after").GetProperty("Name").GetString());

        // Pages of one: the total stays, the items move.
        var first = await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?entityType=Team&action=team.&pageSize=1&page=0", Ct);
        var second = await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?entityType=Team&action=team.&pageSize=1&page=1", Ct);
        Assert.Equal(first.GetProperty("total").GetInt32(), second.GetProperty("total").GetInt32());
        Assert.True(first.GetProperty("items")[0].GetProperty("id").GetInt64() > second.GetProperty("items")[0].GetProperty("id").GetInt64());

        // Dates: nothing after the clock, everything from the start of its day.
        var now = factory.Time.GetUtcNow();
        var future = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/audit?from={Uri.EscapeDataString(now.AddMinutes(1).ToString("O"))}", Ct);
        Assert.Equal(0, future.GetProperty("total").GetInt32());
        var today = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/audit?entityType=Team&from={now.UtcDateTime.Date:yyyy-MM-dd}T00:00:00Z", Ct);
        Assert.True(today.GetProperty("total").GetInt32() >= 4);
    }

    [Fact]
    public async Task The_csv_holds_every_matching_entry_escaped_for_spreadsheets()
    {
        var admin = await SeedAsync();
        var response = await admin.GetAsync("/api/v1/audit?entityType=Team&format=csv", Ct);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        using var csv = new CsvParser(new StringReader(await response.Content.ReadAsStringAsync(Ct)), CultureInfo.InvariantCulture);
        var rows = new List<string[]>();
        while (csv.Read())
            rows.Add(csv.Record!);

        Assert.Equal(["id", "at", "actor", "action", "entityType", "entityId", "summary", "before", "after"], rows[0]);
        var json = await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?entityType=Team&pageSize=500", Ct);
        Assert.Equal(json.GetProperty("total").GetInt32(), rows.Count - 1);
        Assert.DoesNotContain(rows.Skip(1).SelectMany(r => r), cell => cell.Length > 0 && "=+@\t\r".Contains(cell[0]));
        Assert.Contains(rows, r => r[6].Contains("=HYPERLINK", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("format=xml", "format")]
    [InlineData("pageSize=0", "pageSize")]
    [InlineData("pageSize=501", "pageSize")]
    [InlineData("page=-1", "page")]
    [InlineData("from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z", "to")]
    public async Task Bad_parameters_are_refused_naming_the_field(string query, string field)
    {
        var admin = await SeedAsync();
        var response = await admin.GetAsync($"/api/v1/audit?{query}", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").TryGetProperty(field, out _), field);
    }

    [Fact]
    public async Task Viewers_and_team_keys_may_not_read_the_audit_log()
    {
        await factory.EnsureUsersAsync();
        var viewer = await factory.SignedInClientAsync(PortalFactory.ViewerEmail);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync("/api/v1/audit", Ct)).StatusCode);
        var key = await factory.IngestClientAsync("ingest:*");
        Assert.Equal(HttpStatusCode.Forbidden, (await key.GetAsync("/api/v1/audit", Ct)).StatusCode);
    }
}
