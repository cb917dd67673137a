using QuotaPortal.Kernel;
using System.Globalization;
using System.Net.Http.Json;
using CsvHelper;
using QuotaPortal.Teams;
using QuotaPortal.Usage;

namespace QuotaPortal.Tests.Usage;

/// <summary>CSV downloads are opened in spreadsheets: ingested text must never arrive there as a live formula.</summary>
public sealed class CsvInjectionTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private const string Payload = "=cmd|' /C calc'!A0";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static List<string[]> Parse(string text)
    {
        using var csv = new CsvParser(new StringReader(text), CultureInfo.InvariantCulture);
        var rows = new List<string[]>();
        while (csv.Read())
            rows.Add(csv.Record!);
        return rows;
    }

    [Fact]
    public async Task Usage_export_escapes_a_formula_in_the_agent_and_model()
    {
        await factory.EnsureUsersAsync();
        await factory.Service<TeamService>().CreateTeamAsync(new TeamInput("Formula", "formula", null, null, null), AccessScope.System.WithActor("test"), Ct);
        var ingest = await factory.IngestClientAsync("ingest:formula");
        (await ingest.PostAsJsonAsync("/api/v1/usage", new { team = "formula", provider = "openai", model = Payload, apiMethod = "chat.completions",
            inputTokens = 10, outputTokens = 0, cost = 1.5m, agentId = Payload, taskId = "@SUM(A1:A9)", workspaceId = "+1+1", errorCode = "-2+3" }, Ct)).EnsureSuccessStatusCode();

        var admin = await factory.SignedInClientAsync(PortalFactory.AdminEmail);
        var rows = Parse(await admin.GetStringAsync("/api/v1/usage/export?format=csv&team=formula", Ct));

        var header = rows[0].ToList();
        var row = Assert.Single(rows.Skip(1));
        Assert.Equal("'" + Payload, row[header.IndexOf("model")]);
        Assert.Equal("'" + Payload, row[header.IndexOf("agentId")]);
        Assert.Equal("'@SUM(A1:A9)", row[header.IndexOf("taskId")]);
        Assert.Equal("'+1+1", row[header.IndexOf("workspaceId")]);
        Assert.Equal("'-2+3", row[header.IndexOf("errorCode")]);
        Assert.Equal("1.5", row[header.IndexOf("cost")]);
        Assert.DoesNotContain(row, cell => cell.Length > 0 && "=+@\t\r".Contains(cell[0]));
    }

    [Fact]
    public void Chart_and_report_csv_escape_formulas_but_keep_negative_numbers_readable()
    {
        var text = CsvExport.Write([
            ["Name", "Change %", "Cost (USD)"],
            [Payload, "-12.5", "3.00"],
            ["@evil", "-7", "-0.25"],
            ["\tTabbed", "\rCR", "-"],
            ["-1+1", "-1.2.3", "-HYPERLINK(\"https://evil.example\")"],
        ]);
        var rows = Parse(text);

        Assert.Equal(["'" + Payload, "-12.5", "3.00"], rows[1]);
        Assert.Equal(["'@evil", "-7", "-0.25"], rows[2]);
        Assert.Equal(["'\tTabbed", "'\rCR", "'-"], rows[3]);
        Assert.Equal(["'-1+1", "'-1.2.3", "'-HYPERLINK(\"https://evil.example\")"], rows[4]);
    }
}
