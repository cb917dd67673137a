using Microsoft.Playwright;

[assembly: AssemblyFixture(typeof(QuotaPortal.E2E.BrowserSession))]

namespace QuotaPortal.E2E;

/// <summary>
/// One Debian Chromium for the whole E2E run, driven by Playwright (Playwright's own browser download is not available here);
/// every test gets its own browser context in it. QP_CHROMIUM overrides the executable on other machines.
/// </summary>
public sealed class BrowserSession : IAsyncLifetime
{
    private readonly SemaphoreSlim launching = new(1, 1);
    private IPlaywright? playwright;
    private IBrowser? browser;

    public async ValueTask InitializeAsync()
    {
        // A busy 2-core machine renders a Blazor page in seconds, not milliseconds; Playwright's 5 s default is too tight.
        Assertions.SetDefaultExpectTimeout(15_000);
        playwright = await Playwright.CreateAsync();
        await BrowserAsync();
    }

    /// <summary>The shared browser; launched again if it went away (a crashed Chromium fails one test, not the rest).</summary>
    public async Task<IBrowser> BrowserAsync()
    {
        await launching.WaitAsync();
        try
        {
            if (browser is { IsConnected: true })
                return browser;
            browser = await playwright!.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = Environment.GetEnvironmentVariable("QP_CHROMIUM") ?? "/usr/bin/chromium",
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run"],
            });
            return browser;
        }
        finally
        {
            launching.Release();
        }
    }

    /// <summary>A fresh context on the portal, optionally carrying a saved sign-in (Playwright storage state JSON).</summary>
    public async Task<IBrowserContext> NewContextAsync(PortalServer server, string? storageState = null)
    {
        var context = await (await BrowserAsync()).NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = server.BaseUrl,
            ViewportSize = new() { Width = 1280, Height = 800 },
            StorageState = storageState,
        });
        context.SetDefaultTimeout(20_000);
        return context;
    }

    public async ValueTask DisposeAsync()
    {
        if (browser is not null)
            await browser.CloseAsync();
        playwright?.Dispose();
        launching.Dispose();
    }
}
