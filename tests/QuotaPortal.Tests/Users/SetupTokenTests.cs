using QuotaPortal.Kernel;
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using QuotaPortal.Users;

namespace QuotaPortal.Tests.Users;

public sealed class SetupTokenTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private const string Founder = "founder@example.com";

    [Theory]
    [InlineData("/setup")]
    [InlineData("/setup?token=")]
    [InlineData("/setup?token=not-the-token")]
    public async Task Setup_without_the_right_token_says_where_to_find_it_and_offers_no_form(string url)
    {
        var html = await factory.CreateClient().GetStringAsync(url, TestContext.Current.CancellationToken);

        Assert.Contains("data-testid=\"setup-token-needed\"", html);
        Assert.Contains("First run: no admin exists yet. Open …/setup?token=…", html);
        Assert.DoesNotContain("<form", html);
    }

    [Fact]
    public void Each_start_has_its_own_token()
    {
        using var restarted = factory.WithWebHostBuilder(_ => { });
        var before = factory.Service<SetupService>().Token;
        var after = restarted.Services.GetRequiredService<SetupService>().Token;

        Assert.NotEqual(before, after);
        Assert.True(after.Length >= 32);
    }

    [Fact]
    public void A_short_configured_setup_token_stops_the_start()
    {
        using var bad = factory.WithWebHostBuilder(b => b.UseSetting("Setup:Token", "too-short"));

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => bad.CreateClient());
        Assert.Contains("'Setup:Token'", error.Message);
    }

    internal static Task<HttpResponseMessage> PostSetupAsync(HttpClient client, string url, string antiforgery, string token) =>
        Forms.PostAsync(client, url, antiforgery, "setup", new Dictionary<string, string>
        {
            ["Input.Email"] = Founder,
            ["Input.Password"] = "a-long-enough-secret",
            ["Input.ConfirmPassword"] = "a-long-enough-secret",
            ["Input.Token"] = token,
        });
}

/// <summary>Own database: this one creates the admin.</summary>
public sealed class SetupByTokenTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private const string Founder = "founder@example.com";

    [Fact]
    public async Task Only_the_token_from_the_log_creates_the_admin_and_then_setup_is_closed()
    {
        var ct = TestContext.Current.CancellationToken;
        var setup = factory.Service<SetupService>();
        var client = factory.CreateClient(new() { AllowAutoRedirect = false });
        // The form (and its antiforgery token) comes from the right link; the posts then try other tokens.
        var antiforgery = await Forms.AntiforgeryTokenAsync(client, "/setup?token=" + setup.Token);

        foreach (var wrong in new[] { "", "not-the-token", setup.Token[..^1], setup.Token.ToUpperInvariant() })
        {
            await SetupTokenTests.PostSetupAsync(client, "/setup", antiforgery, wrong);
            await SetupTokenTests.PostSetupAsync(client, "/setup?token=" + Uri.EscapeDataString(wrong), antiforgery, wrong);
            Assert.False(await setup.IsCompleteAsync(ct), $"token '{wrong}' created the admin");
        }
        Assert.Empty(await factory.Service<UserService>().ListAsync(ct));

        var right = await SetupTokenTests.PostSetupAsync(client, "/setup", antiforgery, setup.Token);
        Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
        Assert.Equal("/", Forms.Target(right).AbsolutePath);
        var admin = Assert.Single(await factory.Service<UserService>().ListAsync(ct));
        Assert.Equal((Founder, Roles.Admin), (admin.Email, admin.Role));

        var again = await factory.CreateClient(new() { AllowAutoRedirect = false }).GetAsync("/setup?token=" + setup.Token, ct);
        Assert.Contains("/Account/Login", again.Headers.Location?.ToString());
    }
}

/// <summary>Own database: it holds a viewer and no admin.</summary>
public sealed class SetupWithOnlyAViewerTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task A_database_with_only_a_viewer_still_leads_to_setup_and_a_configured_token_works_too()
    {
        var ct = TestContext.Current.CancellationToken;
        const string configuredToken = "configured-setup-token-0123456789";
        await using var portal = factory.WithWebHostBuilder(b => b.UseSetting("Setup:Token", configuredToken));
        var created = await portal.Services.GetRequiredService<UserService>()
            .CreateAsync(new NewUser(PortalFactory.ViewerEmail, null, PortalFactory.Password, Roles.Viewer), AccessScope.System.WithActor("test"), ct);
        Assert.True(created.Succeeded);

        var client = portal.CreateClient(new() { AllowAutoRedirect = false });
        var page = await client.GetAsync("/teams", ct);
        Assert.Equal("/setup", page.Headers.Location?.OriginalString);
        Assert.False(await portal.Services.GetRequiredService<SetupService>().IsCompleteAsync(ct));

        var antiforgery = await Forms.AntiforgeryTokenAsync(client, "/setup?token=" + configuredToken);
        var setup = await SetupTokenTests.PostSetupAsync(client, "/setup", antiforgery, configuredToken);

        Assert.Equal(HttpStatusCode.Redirect, setup.StatusCode);
        Assert.True(await portal.Services.GetRequiredService<SetupService>().IsCompleteAsync(ct));
        // Signed in as the new admin straight away.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/teams", ct)).StatusCode);
    }
}
