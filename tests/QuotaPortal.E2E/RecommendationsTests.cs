using QuotaPortal.E2E.Pages;
using static Microsoft.Playwright.Assertions;

namespace QuotaPortal.E2E;

public sealed class RecommendationsTests(PortalServer server, BrowserSession browser) : E2ETest(server, browser), IClassFixture<PortalServer>
{
    [Fact]
    public async Task Admin_runs_the_engine_on_demo_data_accepts_the_top_saving_and_marks_it_implemented_with_an_audited_history()
    {
        await SignedInAsAsync(SeededUser.Admin);

        // 1. Run the engine over the demo's three weeks: the snackbar sums the run up and the rows come ranked by monthly saving.
        var list = await RecommendationsPage.OpenAsync(Page);
        await list.RunNowAsync();
        await Expect(list.Snackbar).ToContainTextAsync("Engine run:", new() { Timeout = 30_000 });
        await Expect(list.Titles.First).ToBeVisibleAsync();
        await Expect(list.Headline).ToContainTextAsync("/month possible");
        var savings = await list.SavingsShownAsync();
        Assert.NotEmpty(savings);
        Assert.Equal(savings.OrderByDescending(s => s), savings);
        Assert.True(savings[0] > 0, $"the top recommendation saves {savings[0]}");
        await ScreenshotAsync("recommendations");

        // 2. The top one: its calculation, then accept it.
        var title = (await list.Titles.First.TextContentAsync())!.Trim();
        var detail = await list.OpenAsync(0);
        await Expect(detail.Heading).ToHaveTextAsync(title);
        await Expect(detail.Status).ToHaveTextAsync("Open");
        await Expect(detail.Calculation).ToContainTextAsync("Now");
        await detail.AcceptAsync();
        await Expect(detail.Status).ToHaveTextAsync("Accepted");
        await ScreenshotAsync("recommendation-detail");

        // 3. Mark it implemented today: the status says so, the realised saving is too early to tell, and the history has both decisions.
        await detail.MarkImplementedAsync();
        await Expect(detail.Status).ToHaveTextAsync("Implemented");
        await Expect(detail.Realised).ToBeVisibleAsync();
        await Expect(detail.History).ToContainTextAsync("recommendation.implement");
        await Expect(detail.History).ToContainTextAsync("recommendation.accept");
        await Expect(detail.History).ToContainTextAsync(PortalServer.AdminEmail);
        await Page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotsDir, "recommendation-implemented-full.png"), FullPage = true });

        // 4. Back on the list, it has left the open and accepted rows.
        list = await RecommendationsPage.OpenAsync(Page);
        await Expect(list.Headline).ToBeVisibleAsync();
        await Expect(list.Grid).Not.ToContainTextAsync(title);
    }
}
