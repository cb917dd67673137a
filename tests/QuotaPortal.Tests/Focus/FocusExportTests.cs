using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using QuotaPortal.Focus;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;

namespace QuotaPortal.Tests.Focus;

/// <summary>
/// The FOCUS 1.2 export as a FinOps tool reads it: every mandatory column, its type and its allowed values, daily charges that add up
/// to the same figures as the usage API, month edges, and bad filters refused with the field named.
/// </summary>
public sealed partial class FocusExportTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>FOCUS 1.2 ServiceCategory allowed values.</summary>
    private static readonly string[] ServiceCategories =
    [
        "AI and Machine Learning", "Analytics", "Business Applications", "Compute", "Databases", "Developer Tools", "Multicloud", "Identity",
        "Integration", "Internet of Things", "Management and Governance", "Media", "Migration", "Mobile", "Networking", "Security", "Storage",
        "Web", "Other",
    ];

    private static readonly string[] ChargeCategories = ["Usage", "Purchase", "Tax", "Credit", "Adjustment"];

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")]
    private static partial Regex FocusDateTime();

    private async Task<HttpClient> SeedAsync()
    {
        await factory.EnsureUsersAsync();
        var teams = factory.Service<TeamService>();
        var system = AccessScope.System.WithActor("test");
        if (await teams.FindTeamAsync("focus-a", Ct) is null)
        {
            var dept = await teams.CreateDepartmentAsync(new DepartmentInput("Research", "research", null), system, Ct);
            await teams.CreateTeamAsync(new TeamInput("Focus A", "focus-a", dept.Value!.Id, null, null), system, Ct);
            await teams.CreateTeamAsync(new TeamInput("=Focus B", "focus-b", null, null, null), system, Ct);
            var ingest = await factory.IngestClientAsync("ingest:*");
            // The clock reads 2026-11-23 10:00 UTC: the last hour of October, the first of November, and two models on one day.
            object Record(string team, string model, long input, long output, decimal cost, string at) =>
                new { team, provider = "openai", model, apiMethod = "chat.completions", inputTokens = input, outputTokens = output, cost, timestamp = at };
            (await ingest.PostAsJsonAsync("/api/v1/usage", new[]
            {
                Record("focus-a", "gpt-4o", 1_000_000, 200_000, 4.50m, "2026-10-31T23:30:00Z"),
                Record("focus-a", "gpt-4o", 500_000, 100_000, 2.25m, "2026-11-01T00:10:00Z"),
                Record("focus-a", "gpt-4o", 500_000, 0, 1.25m, "2026-11-01T13:00:00Z"),
                Record("focus-a", "gpt-4o-mini", 2_000_000, 0, 0.30m, "2026-11-01T14:00:00Z"),
                Record("focus-b", "=cmd|' /C calc'!A0", 10, 0, 0.000001m, "2026-11-02T08:00:00Z"),
            }, Ct)).EnsureSuccessStatusCode();
        }
        return await factory.SignedInClientAsync(PortalFactory.AdminEmail);
    }

    private static decimal Dec(string s) => decimal.Parse(s, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    [Fact]
    public async Task Every_mandatory_column_is_there_with_its_type_and_allowed_values()
    {
        var admin = await SeedAsync();
        var response = await admin.GetAsync("/api/v1/usage/export?format=focus", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.EndsWith(".focus.csv", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var (header, rows) = CsvTable.Read(await response.Content.ReadAsStringAsync(Ct));

        Assert.Equal(21, FocusExport.MandatoryColumns.Length);
        Assert.Equal(FocusExport.MandatoryColumns, header.Take(21));
        Assert.Equal(FocusExport.MandatoryColumns.Order(StringComparer.Ordinal), FocusExport.MandatoryColumns);   // the specification's order
        Assert.All(header.Skip(21 + FocusExport.ConditionalColumns.Length), c => Assert.StartsWith("x_", c));
        Assert.NotEmpty(rows);
        foreach (var r in rows)
        {
            foreach (var money in new[] { "BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "PricingQuantity", "ConsumedQuantity" })
                Assert.True(r[money].Contains('.') || money == "ConsumedQuantity", $"{money} '{r[money]}' is a decimal");
            Assert.All(new[] { "BilledCost", "EffectiveCost", "ListCost", "ContractedCost" }, c => Assert.True(Dec(r[c]) >= 0));
            foreach (var at in new[] { "BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd" })
                Assert.Matches(FocusDateTime(), r[at]);
            Assert.Equal("USD", r["BillingCurrency"]);
            Assert.Contains(r["ChargeCategory"], ChargeCategories);
            Assert.True(r["ChargeClass"] is "" or "Correction");
            Assert.Contains(r["ServiceCategory"], ServiceCategories);
            Assert.Equal("AI and Machine Learning", r["ServiceCategory"]);
            foreach (var notNull in new[] { "BillingAccountId", "ChargeDescription", "InvoiceIssuerName", "ProviderName", "PublisherName", "ServiceName", "PricingUnit", "SkuId", "SubAccountId" })
                Assert.False(string.IsNullOrEmpty(r[notNull]), notNull);
            Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(r["Tags"]).RootElement.ValueKind);
            // The charge is one UTC day inside its billing month.
            var (start, end) = (DateTime.Parse(r["ChargePeriodStart"], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal),
                DateTime.Parse(r["ChargePeriodEnd"], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal));
            Assert.Equal(TimeSpan.FromDays(1), end - start);
            Assert.Equal(new DateTime(start.Year, start.Month, 1).ToString("yyyy-MM-dd'T'00:00:00'Z'", CultureInfo.InvariantCulture), r["BillingPeriodStart"]);
            // List price × quantity is the list cost; the quantity is tokens in millions.
            Assert.Equal(Dec(r["PricingQuantity"]), Dec(r["ConsumedQuantity"]) / 1_000_000m);
            if (r["ListUnitPrice"] != "")
                Assert.Equal(Dec(r["ListCost"]), decimal.Round(Dec(r["ListUnitPrice"]) * Dec(r["PricingQuantity"]), 6));
        }
    }

    [Fact]
    public async Task Charges_are_per_team_model_and_utc_day_split_at_the_month_edge_and_add_up_to_the_usage_figure()
    {
        var admin = await SeedAsync();
        var (_, rows) = CsvTable.Read(await admin.GetStringAsync("/api/v1/usage/export?format=focus&team=focus-a", Ct));

        Assert.Equal(3, rows.Count);
        var october = Assert.Single(rows, r => r["ChargePeriodStart"] == "2026-10-31T00:00:00Z");
        Assert.Equal(("2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z"), (october["BillingPeriodStart"], october["BillingPeriodEnd"]));
        Assert.Equal(4.5m, Dec(october["BilledCost"]));
        Assert.Equal("1200000", october["ConsumedQuantity"]);
        Assert.Equal("Tokens", october["ConsumedUnit"]);
        Assert.Equal(3.75m, Dec(october["ListUnitPrice"]));   // $4.50 for 1.2 M tokens
        var november = rows.Single(r => r["ChargePeriodStart"] == "2026-11-01T00:00:00Z" && r["x_Model"] == "gpt-4o");
        Assert.Equal(("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"), (november["BillingPeriodStart"], november["BillingPeriodEnd"]));
        Assert.Equal(3.5m, Dec(november["BilledCost"]));      // two records of that day, one charge
        Assert.Equal(("1000000", "100000", "2"), (november["x_InputTokens"], november["x_OutputTokens"], november["x_Requests"]));
        Assert.Equal(("OpenAI", "OpenAI", "OpenAI", "OpenAI API", "openai/gpt-4o"),
            (november["ProviderName"], november["PublisherName"], november["InvoiceIssuerName"], november["ServiceName"], november["SkuId"]));
        Assert.Equal(("focus-a", "Focus A", "research"), (november["SubAccountId"], november["SubAccountName"], november["x_Department"]));
        Assert.Equal("{\"team\":\"focus-a\",\"department\":\"research\"}", november["Tags"]);

        // One definition of the figure: the export adds up to what the usage API says for the same filter.
        var usage = await admin.GetFromJsonAsync<JsonElement>("/api/v1/usage?team=focus-a&from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z", Ct);
        var (_, month) = CsvTable.Read(await admin.GetStringAsync("/api/v1/usage/export?format=focus&team=focus-a&from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z", Ct));
        Assert.Equal(usage.GetProperty("totals").GetProperty("cost").GetDecimal(), month.Sum(r => Dec(r["BilledCost"])));
        Assert.Equal(3.80m, month.Sum(r => Dec(r["BilledCost"])));
    }

    [Fact]
    public async Task A_name_a_spreadsheet_would_run_arrives_escaped()
    {
        var admin = await SeedAsync();
        var (_, rows) = CsvTable.Read(await admin.GetStringAsync("/api/v1/usage/export?format=focus&team=focus-b", Ct));

        var row = Assert.Single(rows);
        Assert.Equal("'=Focus B", row["SubAccountName"]);
        Assert.Equal("'=cmd|' /C calc'!A0", row["x_Model"]);
        Assert.DoesNotContain(row.Values, cell => cell.Length > 0 && "=+@\t\r".Contains(cell[0]));
    }

    [Theory]
    [InlineData("format=focus&success=true", "success")]
    [InlineData("format=focus&tag=env:prod", "tag")]
    [InlineData("format=focus&apiKey=1", "apiKey")]
    [InlineData("format=xml", "format")]
    public async Task A_filter_the_format_cannot_honour_is_refused_naming_the_field(string query, string field)
    {
        var admin = await SeedAsync();
        var response = await admin.GetAsync($"/api/v1/usage/export?{query}", Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), field);
        if (field == "format")
            Assert.Contains("focus", messages[0].GetString());
    }
}
