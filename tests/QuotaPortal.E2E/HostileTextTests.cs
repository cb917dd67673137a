using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using QuotaPortal.Alerts;
using QuotaPortal.ApiKeys;
using QuotaPortal.Budgets;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;
using static Microsoft.Playwright.Assertions;

namespace QuotaPortal.E2E;

// Inside the namespace, so the page objects win over the app's components of the same name (QuotaPortal.Alerts.AlertsPage …).
using QuotaPortal.E2E.Pages;

/// <summary>Names that are markup render as text on every page that shows them, with no script run and no CSP violation.</summary>
public sealed class HostileTextTests(PortalServer server, BrowserSession browser) : E2ETest(server, browser), IClassFixture<PortalServer>
{
    private const string Payload = "<img src=x onerror=alert(1)>";

    [Fact]
    public async Task Team_agent_model_tag_and_alert_note_named_like_markup_render_as_text_everywhere()
    {
        var ct = TestContext.Current.CancellationToken;
        var system = AccessScope.System.WithActor("e2e");
        var services = Server.Services;
        var team = (await services.GetRequiredService<TeamService>().CreateTeamAsync(new TeamInput(Payload, "xss", null, null, Payload), system, ct)).Value!;
        var budget = (await services.GetRequiredService<BudgetService>().SaveAsync(null, new BudgetInput(Payload, null, team.Id, null, null, null, BudgetMetric.Cost,
            1, BudgetPeriod.Daily, null, "UTC", "50,100", null, EnforcementMode.AlertOnly, null), system, ct)).Value!;
        var secret = (await services.GetRequiredService<ApiKeyService>().CreateAsync("xss", "ingest:xss", null, system, ct)).Value!.Secret;
        using var http = new HttpClient { BaseAddress = new Uri(Server.BaseUrl) };
        http.DefaultRequestHeaders.Add("X-Api-Key", secret);
        (await http.PostAsJsonAsync("/api/v1/usage", new
        {
            team = "xss", provider = "openai", model = Payload, apiMethod = "chat.completions", inputTokens = 1000, outputTokens = 10, cost = 5m,
            agentId = Payload, tags = new Dictionary<string, string> { ["feature"] = Payload },
        }, ct)).EnsureSuccessStatusCode();
        await services.GetRequiredService<BudgetEvaluator>().EvaluateAsync([budget.Id], ct);
        var alert = (await services.GetRequiredService<AlertService>().ListAsync(new AlertFilter(BudgetId: budget.Id), AccessScope.System, 10, ct)).First();
        await services.GetRequiredService<AlertService>().AcknowledgeAsync([alert.Id], Payload, system, ct);

        await SignedInAsAsync(SeededUser.Admin);
        var dialogs = new List<string>();
        var problems = new List<string>();
        Page.Dialog += async (_, d) => { dialogs.Add(d.Message); await d.DismissAsync(); };
        Page.Console += (_, m) =>
        {
            if (m.Type == "error" && m.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
                problems.Add(m.Text);
        };
        Page.PageError += (_, e) => problems.Add(e);

        foreach (var path in new[] { "/teams", "/usage", "/budgets", $"/budgets/{budget.Id}", "/alerts", "/", "/trends", "/reports", "/audit" })
        {
            await ShellPage.OpenAsync(Page, path);
            await Expect(Page.Locator("main, body").First).ToContainTextAsync(Payload, new() { Timeout = 15_000 });
            Assert.Equal(0, await Page.Locator("img[src='x']").CountAsync());
        }
        // The alert's detail shows the note and the agent behind it, as text.
        var alerts = await AlertsPage.OpenAsync(Page, alert.Id);
        await Expect(alerts.Dialog).ToContainTextAsync(Payload);
        Assert.Equal(0, await Page.Locator("img[src='x']").CountAsync());

        Assert.Empty(dialogs);
        Assert.Empty(problems);
    }
}
