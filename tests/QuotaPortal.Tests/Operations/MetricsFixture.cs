using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Exporter;
using QuotaPortal.Alerts;
using QuotaPortal.ApiKeys;
using QuotaPortal.Budgets;
using QuotaPortal.Kernel;
using QuotaPortal.Notifications;
using QuotaPortal.Teams;
using QuotaPortal.Tests.Notifications;

namespace QuotaPortal.Tests.Operations;

/// <summary>An evaluation step that fails when told to (an evaluation failure for the metrics to report).</summary>
public sealed class FlakyStep : IEvaluationStep
{
    public const string StepName = "flaky-test-step";
    public volatile bool Fail;

    public string Name => StepName;

    public Task<EvaluationStepResult> RunAsync(CancellationToken ct) =>
        Fail ? throw new InvalidOperationException("told to fail") : Task.FromResult(new EvaluationStepResult("ok"));
}

/// <summary>
/// A portal that has seen one of everything its metrics count: usage ingested through the API (a batch and a single record), a budget
/// crossed and its alert raised, rejected posts, an evaluation tick with a failing step, a notification whose receiver is down. Scrapes
/// come from 127.0.0.1 (the test server has no peer address; <see cref="TestPeerAddress"/> plays one).
/// </summary>
public sealed class MetricsFixture : IAsyncLifetime
{
    public const string Team = "metered";

    public PortalFactory Factory { get; } = new();
    public WebApplicationFactory<Program> Host { get; private set; } = default!;
    public FlakyStep Flaky { get; } = new();
    public int BudgetId { get; private set; }
    public HttpClient Ingest { get; private set; } = default!;
    private Receiver receiver = default!;

    public T Service<T>() where T : notnull => Host.Services.GetRequiredService<T>();

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        receiver = await Receiver.StartAsync();
        Host = Factory.WithWebHostBuilder(b =>
        {
            b.UseSetting("Metrics:GaugeCacheSeconds", "0");
            b.ConfigureTestServices(s =>
            {
                s.AddSingleton<IStartupFilter, TestPeerAddress>();
                s.AddSingleton<IEvaluationStep>(Flaky);
                // Scrapes in a test follow each other within milliseconds; the exporter would answer the second from its 300 ms cache.
                s.Configure<PrometheusAspNetCoreOptions>(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
            });
        });
        var system = AccessScope.System.WithActor("test");
        await Service<NotificationChannels>().SaveAsync(new NotificationChannel(Guid.Empty, "Ops webhook", ChannelKind.Webhook, receiver.BaseUrl + "/hook",
            "hook-secret", AlertSeverity.Info, [], true), system, ct);
        var team = (await Service<TeamService>().CreateTeamAsync(new TeamInput("Metered", Team, null, null, null), system, ct)).Value!;
        BudgetId = (await Service<BudgetService>().SaveAsync(null, new BudgetInput("Metered daily", null, team.Id, null, null, null, BudgetMetric.Cost, 10,
            BudgetPeriod.Daily, null, "UTC", "50,80,100", null, EnforcementMode.AlertOnly, null), system, ct)).Value!.Id;
        Ingest = Host.CreateClient();
        Ingest.DefaultRequestHeaders.Add("X-Api-Key", (await Service<ApiKeyService>().CreateAsync("gw", "ingest:*", null, system, ct)).Value!.Secret);

        // $5 per million gpt-4o input tokens: 1,000,000 + 200,000 input tokens are $6, plus the output and the mini's share.
        var now = Factory.Time.GetUtcNow();
        (await Ingest.PostAsJsonAsync("/api/v1/usage", new object[]
        {
            new { team = Team, provider = "openai", model = "gpt-4o", inputTokens = 1_000_000, outputTokens = 20_000, timestamp = now },
            new { team = Team, provider = "openai", model = "gpt-4o", inputTokens = 200_000, outputTokens = 1_000, timestamp = now },
            new { team = Team, provider = "openai", model = "gpt-4o-mini", inputTokens = 300_000, outputTokens = 5_000, timestamp = now },
        }, ct)).EnsureSuccessStatusCode();
        (await Ingest.PostAsJsonAsync("/api/v1/usage", new { team = Team, provider = "anthropic", model = "claude-3-5-haiku", inputTokens = 10_000,
            outputTokens = 2_000, timestamp = now }, ct)).EnsureSuccessStatusCode();
        await Service<BudgetEvaluator>().EvaluateAsync(null, ct);
        await Service<NotificationDispatcher>().DispatchDueAsync(ct); // the receiver is down: a delivery failure, the row waits

        Flaky.Fail = true;
        await Service<IEnumerable<IHostedService>>().OfType<EvaluationService>().Single().RunOnceAsync(ct);
        Flaky.Fail = false;
        await Ingest.PostAsJsonAsync("/api/v1/usage", new { team = Team }, ct); // 400: no provider, model or tokens
        await Host.CreateClient().PostAsJsonAsync("/api/v1/usage", new { team = Team }, ct); // 401: no key
    }

    /// <summary>GET /metrics as a scraper on the portal's own host would.</summary>
    public async Task<string> ScrapeAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Add(TestPeerAddress.Header, "127.0.0.1");
        var response = await Host.CreateClient().SendAsync(request, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await receiver.DisposeAsync();
        await Factory.DisposeAsync();
    }
}
