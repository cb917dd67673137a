using Microsoft.Playwright;

namespace QuotaPortal.E2E;

/// <summary>
/// Debian's Chromium driven by Playwright (Playwright's own browser download is not available here).
/// QP_CHROMIUM overrides the executable on other machines.
/// </summary>
public sealed class BrowserSession : IAsyncDisposable
{
    private IPlaywright? playwright;

    public IBrowser Browser { get; private set; } = default!;

    public static async Task<BrowserSession> LaunchAsync()
    {
        var session = new BrowserSession { playwright = await Playwright.CreateAsync() };
        session.Browser = await session.playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("QP_CHROMIUM") ?? "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        return session;
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
            await Browser.CloseAsync();
        playwright?.Dispose();
    }
}
