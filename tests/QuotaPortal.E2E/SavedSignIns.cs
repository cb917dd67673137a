using QuotaPortal.E2E.Pages;

namespace QuotaPortal.E2E;

/// <summary>The seeded users a test can start as without going through the sign-in form.</summary>
public enum SeededUser
{
    Admin,
    Viewer,
}

/// <summary>
/// One sign-in through the form per seeded user per <see cref="PortalServer"/>, kept as Playwright storage state (the Identity
/// cookie) that later tests' browser contexts start from. Only the seeded admin and viewer are cached, and no test changes them
/// (password, role, lock); a test that changes a user creates its own and signs that one in itself. A failed sign-in is not
/// cached, so the next test tries again.
/// </summary>
public sealed class SavedSignIns(PortalServer server)
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly Dictionary<SeededUser, string> states = [];

    public static string EmailOf(SeededUser user) => user switch
    {
        SeededUser.Admin => PortalServer.AdminEmail,
        SeededUser.Viewer => PortalServer.ViewerEmail,
        _ => throw new ArgumentOutOfRangeException(nameof(user), user, null),
    };

    public async Task<string> StorageStateAsync(BrowserSession browser, SeededUser user)
    {
        await gate.WaitAsync();
        try
        {
            if (states.TryGetValue(user, out var saved))
                return saved;
            await using var context = await browser.NewContextAsync(server);
            var page = await context.NewPageAsync();
            await LoginPage.SignInAsync(page, EmailOf(user), PortalServer.Password);
            var state = await context.StorageStateAsync();
            states[user] = state;
            return state;
        }
        finally
        {
            gate.Release();
        }
    }
}
