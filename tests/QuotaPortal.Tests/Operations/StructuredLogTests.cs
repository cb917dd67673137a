using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using QuotaPortal.Alerts;
using QuotaPortal.Kernel;

namespace QuotaPortal.Tests.Operations;

/// <summary>Every log line with the scope properties in force when it was written, as a scope-aware sink (the JSON console) sees them.</summary>
public sealed class ScopeCapture : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider scopes = new LoggerExternalScopeProvider();

    public ConcurrentQueue<(string Category, string Message, IReadOnlyDictionary<string, object?> Scope)> Lines { get; } = new();

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    public IEnumerable<string?> ValuesOf(string property, string? category = null) =>
        Lines.Where(l => category is null || l.Category == category).Select(l => l.Scope.GetValueOrDefault(property)?.ToString());

    private sealed class Logger(ScopeCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner.scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scope = new Dictionary<string, object?>();
            owner.scopes.ForEachScope((s, d) =>
            {
                if (s is IEnumerable<KeyValuePair<string, object?>> pairs)
                    foreach (var (k, v) in pairs)
                        d[k] = v;
            }, scope);
            owner.Lines.Enqueue((category, formatter(state, exception), scope));
        }
    }
}

/// <summary>An evaluation step that writes two log lines per tick.</summary>
public sealed class ChattyStep(ILogger<ChattyStep> log) : IEvaluationStep
{
    public string Name => "chatty";

    public Task<EvaluationStepResult> RunAsync(CancellationToken ct)
    {
        log.LogInformation("chatty step begins");
        log.LogInformation("chatty step ends");
        return Task.FromResult(new EvaluationStepResult("ok"));
    }
}

public sealed class StructuredLogTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private const string EndpointCategory = "Microsoft.AspNetCore.Routing.EndpointMiddleware";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private WebApplicationFactory<Program> Capturing(ScopeCapture capture, params (string Key, string Value)[] settings) => factory.WithWebHostBuilder(b =>
    {
        foreach (var (key, value) in settings)
            b.UseSetting(key, value);
        b.ConfigureServices(s => s.AddLogging(l => l.AddProvider(capture).AddFilter<ScopeCapture>(null, LogLevel.Trace)));
        b.ConfigureTestServices(s => s.AddSingleton<IEvaluationStep, ChattyStep>());
    });

    [Fact]
    public async Task A_log_line_written_during_a_request_carries_the_correlation_id_the_response_returns()
    {
        var capture = new ScopeCapture();
        var client = Capturing(capture).CreateClient();

        using var traced = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        traced.Headers.Add("X-Correlation-Id", "gw-7f3a.42");
        var fromGateway = await client.SendAsync(traced, Ct);
        Assert.Equal("gw-7f3a.42", fromGateway.Headers.GetValues("X-Correlation-Id").Single());
        Assert.Contains("gw-7f3a.42", capture.ValuesOf("CorrelationId", EndpointCategory));

        var own = (await client.GetAsync("/healthz", Ct)).Headers.GetValues("X-Correlation-Id").Single();
        Assert.Matches("^[0-9a-f]{32}$", own); // the request's W3C trace id
        Assert.Contains(own, capture.ValuesOf("CorrelationId", EndpointCategory));

        using var forged = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        forged.Headers.TryAddWithoutValidation("X-Correlation-Id", "x\" injected=\"1");
        var replaced = (await client.SendAsync(forged, Ct)).Headers.GetValues("X-Correlation-Id").Single();
        Assert.Matches("^[0-9a-f]{32}$", replaced);
        Assert.DoesNotContain(capture.ValuesOf("CorrelationId"), v => v is not null && v.Contains("injected", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_error_answer_still_carries_the_correlation_id()
    {
        var response = await Capturing(new ScopeCapture()).CreateClient().PostAsync("/api/v1/usage", new StringContent("[]", System.Text.Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Matches("^[0-9a-f]{32}$", response.Headers.GetValues("X-Correlation-Id").Single());
    }

    [Fact]
    public async Task Every_line_of_an_evaluation_tick_carries_that_ticks_id()
    {
        var capture = new ScopeCapture();
        var host = Capturing(capture);
        var evaluation = host.Services.GetServices<IHostedService>().OfType<EvaluationService>().Single();
        Assert.True(await evaluation.RunOnceAsync(Ct));
        Assert.True(await evaluation.RunOnceAsync(Ct));

        var ticks = capture.Lines.Where(l => l.Category == typeof(ChattyStep).FullName).Select(l => l.Scope.GetValueOrDefault("TickId") as string).ToList();
        Assert.Equal(4, ticks.Count);
        Assert.All(ticks, t => Assert.Matches("^[0-9a-f]{12}$", t));
        Assert.Equal(ticks[0], ticks[1]);
        Assert.Equal(ticks[2], ticks[3]);
        Assert.NotEqual(ticks[0], ticks[2]);
    }

    [Fact]
    public void Logging_Json_writes_one_json_object_per_line_with_scopes_and_a_utc_timestamp()
    {
        var host = factory.WithWebHostBuilder(b => b.UseSetting("Logging:Json", "true"));
        Assert.Equal(ConsoleFormatterNames.Json, host.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName);
        var json = host.Services.GetServices<ConsoleFormatter>().Single(f => f.Name == ConsoleFormatterNames.Json);

        var scopes = new LoggerExternalScopeProvider();
        using var _ = scopes.Push(new LogScope("CorrelationId", "0af7651916cd43dd8448eb211c80319c"));
        var output = new StringWriter();
        json.Write(new LogEntry<string>(LogLevel.Warning, "QuotaPortal.Usage.UsageIngestor", new EventId(7), "Usage batch hit a constraint", null,
            (s, _) => s), scopes, output);

        var line = Assert.Single(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var root = JsonDocument.Parse(line).RootElement;
        Assert.Equal("Warning", root.GetProperty("LogLevel").GetString());
        Assert.Equal("QuotaPortal.Usage.UsageIngestor", root.GetProperty("Category").GetString());
        Assert.Equal("Usage batch hit a constraint", root.GetProperty("Message").GetString());
        Assert.EndsWith("Z", root.GetProperty("Timestamp").GetString()!.TrimEnd());
        Assert.Contains(root.GetProperty("Scopes").EnumerateArray(),
            s => s.TryGetProperty("CorrelationId", out var id) && id.GetString() == "0af7651916cd43dd8448eb211c80319c");

        var plain = factory.WithWebHostBuilder(b => b.UseSetting("Logging:Json", "false"));
        Assert.NotEqual(ConsoleFormatterNames.Json, plain.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName);
    }
}
