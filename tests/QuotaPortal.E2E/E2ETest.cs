using Microsoft.Playwright;
using QuotaPortal.E2E.Pages;

namespace QuotaPortal.E2E;

/// <summary>
/// Base for browser tests: a fresh browser context per test in the run's one browser, anonymous until the test starts
/// <see cref="SignedInAsAsync"/> (a context made from the server's saved sign-in, no form), and a screenshot plus the page
/// HTML kept when a test fails.
/// </summary>
public abstract class E2ETest(PortalServer server, BrowserSession browser) : IAsyncLifetime
{
    private static readonly string ArtifactsDir = Environment.GetEnvironmentVariable("QP_ARTIFACTS")
        ?? Path.Combine(AppContext.BaseDirectory, "artifacts");
    public static readonly string ScreenshotsDir = Environment.GetEnvironmentVariable("QP_SCREENSHOTS")
        ?? Path.Combine(AppContext.BaseDirectory, "screenshots");

    protected IBrowserContext Context { get; private set; } = default!;
    protected IPage Page { get; private set; } = default!;
    protected PortalServer Server => server;

    public async ValueTask InitializeAsync()
    {
        if (string.IsNullOrEmpty(server.BaseUrl))
            await server.StartAsync();
        await OpenContextAsync(storageState: null);
    }

    /// <summary>Called for each new context and its page (the anonymous one, then a signed-in one): hook events here.</summary>
    protected virtual Task OnPageOpenedAsync() => Task.CompletedTask;

    /// <summary>
    /// Replaces the anonymous context with one that starts signed in as a seeded user, from the storage state this server
    /// saved at that user's first sign-in. Opens no page yet.
    /// </summary>
    protected async Task SignedInAsAsync(SeededUser user)
    {
        var state = await server.SignIns.StorageStateAsync(browser, user);
        await Context.CloseAsync();
        await OpenContextAsync(state);
    }

    /// <summary>Signs in through the form (for tests of signing in, and users a test creates or changes itself).</summary>
    protected Task<DashboardPage> SignInThroughTheFormAsync(string email, string password = PortalServer.Password) =>
        LoginPage.SignInAsync(Page, email, password);

    private async Task OpenContextAsync(string? storageState)
    {
        Context = await browser.NewContextAsync(server, storageState);
        Page = await Context.NewPageAsync();
        await OnPageOpenedAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (TestContext.Current.TestState?.Result is TestResult.Failed && Page is not null)
            await KeepFailureArtifactsAsync();
        if (Context is not null)
            await Context.CloseAsync();
        GC.SuppressFinalize(this);
    }

    private async Task KeepFailureArtifactsAsync()
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

    protected async Task ScreenshotAsync(string name)
    {
        Directory.CreateDirectory(ScreenshotsDir);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotsDir, name + ".png") });
    }
}
