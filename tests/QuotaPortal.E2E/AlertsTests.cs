using QuotaPortal.E2E.Pages;
using static Microsoft.Playwright.Assertions;

namespace QuotaPortal.E2E;

public sealed class AlertsTests(PortalServer server, BrowserSession browser) : E2ETest(server, browser), IClassFixture<PortalServer>
{
    [Fact]
    public async Task At_1440_the_last_column_fits_a_row_opens_with_Enter_and_a_chosen_snooze_shows_at_once_and_only_once()
    {
        await SignedInAsAsync(SeededUser.Admin);
        await Page.SetViewportSizeAsync(1440, 900);
        var alerts = await AlertsPage.OpenAsync(Page);
        var open = alerts.RowsWith("Open").First;
        await Expect(open).ToBeVisibleAsync(new() { Timeout = 20_000 });

        var lastSeen = await alerts.Header("Last seen").BoundingBoxAsync();
        Assert.NotNull(lastSeen);
        Assert.True(lastSeen.X + lastSeen.Width <= 1440, $"'Last seen' ends at {lastSeen.X + lastSeen.Width}px, beyond 1440px");
        await ScreenshotAsync("alerts-1440");

        await Expect(open).ToHaveAttributeAsync("tabindex", "0");
        await open.FocusAsync();
        await Page.Keyboard.PressAsync("Enter");
        await Expect(alerts.Why).ToBeVisibleAsync();

        await alerts.SnoozeButton("4 hours").ClickAsync();
        await Expect(alerts.Snoozed).ToContainTextAsync("Snoozed until");
        await alerts.SnoozeButton("4 hours").ClickAsync();
        await Expect(alerts.SnoozeButton("4 hours")).ToBeEnabledAsync();
        await Expect(alerts.History.Locator("div").Filter(new() { HasText = "Snoozed alert" })).ToHaveCountAsync(1);
        await ScreenshotAsync("alert-dialog-snoozed");

        await Page.Keyboard.PressAsync("Escape");
        await Page.SetViewportSizeAsync(390, 844);
        await ScreenshotAsync("alerts-390");
        await Page.SetViewportSizeAsync(1280, 800);
    }
}
