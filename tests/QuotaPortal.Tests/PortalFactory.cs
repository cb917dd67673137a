using QuotaPortal.Kernel;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using QuotaPortal.Users;

namespace QuotaPortal.Tests;

/// <summary>
/// The real app on a temporary database (a SQLite file, or a PostgreSQL database when the run is on PostgreSQL: see
/// <see cref="TestDatabase"/>) with a FakeTimeProvider. One per test class (xunit class fixture), so classes never see each
/// other's data.
/// </summary>
public sealed partial class PortalFactory : WebApplicationFactory<Program>
{
    public const string AdminEmail = "admin@example.com";
    public const string ViewerEmail = "viewer@example.com";
    public const string Password = "correct-horse-battery";

    public string DatabasePath { get; } = Path.Combine(Path.GetTempPath(), $"qp-test-{Guid.NewGuid():N}.db");

    /// <summary>The portal's connection string: the SQLite file, or this factory's own PostgreSQL database.</summary>
    public string ConnectionString => connectionString ??= TestDatabase.IsPostgres ? TestDatabase.CreatePostgres() : $"Data Source={DatabasePath}";
    private string? connectionString;
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("Database:Provider", TestDatabase.ProviderName);
        builder.UseSetting("ConnectionStrings:Default", ConnectionString);
        builder.UseSetting("Demo:Enabled", "false");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        // Many tests present bad keys on purpose from one (test-server) address; the limiter has its own test with a low limit.
        builder.UseSetting("ApiKeys:FailedAuthPerMinute", "100000");
        // Tests drive evaluation and delivery by hand. With a FakeTimeProvider, a one-day Advance() would otherwise fire the
        // background loops' timers once per interval (1,440 evaluations, 17,280 dispatch passes) while the test runs.
        builder.UseSetting("Evaluation:Enabled", "false");
        builder.UseSetting("Notifications:DispatcherEnabled", "false");
        // Billing pulls only when a test calls BillingSync.SyncNowAsync (the providers' fakes live inside the tests).
        builder.UseSetting("Billing:Enabled", "false");
        // The dashboard's warm-up reads in the background on a timer; tests that need it start it by hand (DailySpendWarmupTests).
        builder.UseSetting("Dashboard:WarmCache", "false");
        builder.UseSetting("Notifications:AllowPrivateTargets", "true"); // the tests' receivers listen on loopback
        // Every test client shares the test server's one (empty) address, so the per-address sign-in limit is lifted here.
        builder.UseSetting("SignInLimit:AttemptsPerMinute", "100000");
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Time);
        });
    }

    public T Service<T>() where T : notnull => Services.GetRequiredService<T>();

    public async Task EnsureUsersAsync()
    {
        var setup = Service<SetupService>();
        if (!await setup.IsCompleteAsync())
            await setup.CreateFirstAdminAsync(AdminEmail, "Ada Admin", Password, "test");
        var users = Service<UserService>();
        if ((await users.ListAsync()).All(u => u.Email != ViewerEmail))
            await users.CreateAsync(new NewUser(ViewerEmail, "Vic Viewer", Password, Roles.Viewer), AccessScope.System.WithActor("test"));
    }

    /// <summary>A client signed in through the real login form (antiforgery token and all), keeping its cookie.</summary>
    /// <summary>An HTTP client carrying a fresh API key of the given scope (e.g. "ingest:search", "ingest:*", "admin").</summary>
    public async Task<HttpClient> IngestClientAsync(string scope)
    {
        var client = CreateClient();
        var key = await Service<QuotaPortal.ApiKeys.ApiKeyService>().CreateAsync($"test-{Guid.NewGuid():N}", scope, null, AccessScope.System.WithActor("test"));
        client.DefaultRequestHeaders.Add("X-Api-Key", key.Value!.Secret);
        return client;
    }

    public async Task<HttpClient> SignedInClientAsync(string email, string password = Password)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var response = await SubmitLoginAsync(client, email, password);
        if (response.StatusCode != HttpStatusCode.Redirect)
            throw new InvalidOperationException($"Sign-in of {email} failed: {(int)response.StatusCode}");
        return client;
    }

    public static async Task<HttpResponseMessage> SubmitLoginAsync(HttpClient client, string email, string password)
    {
        var form = await client.GetStringAsync("/Account/Login");
        var token = AntiforgeryField().Match(form).Groups[1].Value;
        return await client.PostAsync("/Account/Login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["_handler"] = "login",
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        }));
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (TestDatabase.IsPostgres && connectionString is not null && !sharesDatabase)
            TestDatabase.DropPostgres(connectionString);
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
            File.Delete(DatabasePath + suffix);
    }
}
