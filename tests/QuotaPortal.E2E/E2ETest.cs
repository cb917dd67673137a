using Microsoft.Playwright;

namespace QuotaPortal.E2E;

/// <summary>
/// Base for browser tests: a fresh browser context per test, helpers for signing in and waiting for the
/// interactive circuit, and a screenshot plus the page HTML kept when a test fails.
/// </summary>
public abstract class E2ETest(PortalServer server) : IAsyncLifetime
{
    private static readonly string ArtifactsDir = Environment.GetEnvironmentVariable("QP_ARTIFACTS")
        ?? Path.Combine(AppContext.BaseDirectory, "artifacts");
    public static readonly string ScreenshotsDir = Environment.GetEnvironmentVariable("QP_SCREENSHOTS")
        ?? Path.Combine(AppContext.BaseDirectory, "screenshots");

    private BrowserSession? browser;
    protected IBrowserContext Context { get; private set; } = default!;
    protected IPage Page { get; private set; } = default!;
    protected PortalServer Server => server;

    public virtual async ValueTask InitializeAsync()
    {
        if (string.IsNullOrEmpty(server.BaseUrl))
            await server.StartAsync();
        browser = await BrowserSession.LaunchAsync();
        Context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseUrl, ViewportSize = new() { Width = 1280, Height = 800 } });
        Context.SetDefaultTimeout(20_000);
        Page = await Context.NewPageAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (TestContext.Current.TestState?.Result is TestResult.Failed && Page is not null)
        {
            Directory.CreateDirectory(ArtifactsDir);
            var name = string.Concat((TestContext.Current.Test?.TestDisplayName ?? "test").Split(Path.GetInvalidFileNameChars()));
            try
            {
                await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ArtifactsDir, name + ".png"), FullPage = true });
                await File.WriteAllTextAsync(Path.Combine(ArtifactsDir, name + ".html"), await Page.ContentAsync());
            }
            catch (PlaywrightException)
            {
                // The page may be gone with the failure; the test result says why.
            }
        }
        if (Context is not null)
            await Context.CloseAsync();
        if (browser is not null)
            await browser.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    protected Task WaitForInteractiveAsync() =>
        Page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached });

    protected async Task SignInAsync(string email, string password = PortalServer.Password)
    {
        await Page.GotoAsync("/Account/Login");
        await Page.Locator("[id='Input.Email']").FillAsync(email);
        await Page.Locator("[id='Input.Password']").FillAsync(password);
        await Page.Locator("[data-testid=login-submit]").ClickAsync();
        await WaitForInteractiveAsync();
    }

    protected async Task GoToAsync(string path)
    {
        await Page.GotoAsync(path);
        await WaitForInteractiveAsync();
    }

    protected async Task ScreenshotAsync(string name)
    {
        Directory.CreateDirectory(ScreenshotsDir);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotsDir, name + ".png") });
    }

    protected ILocator Heading => Page.Locator("h1");
}
