using Bunit;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;
using QuotaPortal.Tests.Components;
using QuotaPortal.Usage;

namespace QuotaPortal.Tests.Usage;

/// <summary>A file uploaded on the Usage page's Import tab leaves an audit row naming the file, the records and the dollars.</summary>
public sealed class ImportAuditTests : BunitContext, IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;
    private readonly PortalFactory factory;

    public ImportAuditTests(PortalFactory factory)
    {
        this.factory = factory;
        Services.AddSingleton(factory.Service<UsageImporter>());
        this.AddTestServices();
    }

    [Fact]
    public async Task A_csv_uploaded_in_the_ui_is_audited_with_its_file_name_records_and_total_cost()
    {
        await factory.Service<TeamService>().CreateTeamAsync(new TeamInput("Research", "research", null, null, null), AccessScope.System.WithActor("test"), Ct);
        const string csv = "timestamp,team,provider,model,apiMethod,inputTokens,outputTokens,cost\n"
            + "2026-11-20T10:00:00Z,research,openai,gpt-4o,chat.completions,1000,100,1.25\n"
            + "2026-11-20T11:00:00Z,research,openai,gpt-4o,chat.completions,1000,100,2.50\n";
        var panel = Render<UsageImportPanel>(p => p.Add(x => x.Who, AccessScope.Everything("ada@example.com")));

        panel.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText(csv, "november-backfill.csv"));
        panel.WaitForAssertion(() => Assert.Contains("Imported", panel.Find("[data-testid=import-result]").TextContent), TimeSpan.FromSeconds(30));

        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        var entry = await db.AuditEntries.SingleAsync(a => a.Action == "usage.import", Ct);
        Assert.Equal("ada@example.com", entry.Actor);
        Assert.Equal("Imported november-backfill.csv: 2 of 2 records ($3.75)", entry.Summary);
        Assert.Contains("\"Accepted\":2", entry.AfterJson);
    }
}
