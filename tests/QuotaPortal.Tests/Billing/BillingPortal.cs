using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using QuotaPortal.Billing;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Tests.Notifications;

namespace QuotaPortal.Tests.Billing;

/// <summary>Waits nothing, remembers what it was asked to wait.</summary>
public sealed class RecordingDelay : IBillingDelay
{
    public ConcurrentQueue<TimeSpan> Waits { get; } = new();

    public Task DelayAsync(TimeSpan delay, CancellationToken ct)
    {
        Waits.Enqueue(delay);
        return Task.CompletedTask;
    }
}

/// <summary>The portal on its temporary database with every log line captured and backoff waits recorded (not waited).</summary>
public sealed class BillingPortal : IAsyncLifetime
{
    public PortalFactory Root { get; } = new();
    public LogCapture Logs { get; } = new();
    public RecordingDelay Delays { get; } = new();
    public WebApplicationFactory<Program> App { get; private set; } = null!;

    public ValueTask InitializeAsync()
    {
        App = Root.WithWebHostBuilder(b =>
        {
            b.UseSetting("Billing:MaxAttempts", "4");
            b.ConfigureServices(s => s.AddLogging(l => l.AddProvider(Logs).AddFilter<LogCapture>(null, LogLevel.Trace)));
            b.ConfigureTestServices(s =>
            {
                s.RemoveAll<IBillingDelay>();
                s.AddSingleton<IBillingDelay>(Delays);
            });
        });
        return ValueTask.CompletedTask;
    }

    public DateTime Now => Root.Time.GetUtcNow().UtcDateTime;
    public DateOnly Today => DateOnly.FromDateTime(Now);

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public T Connector<T>() where T : IBillingConnector => App.Services.GetServices<IBillingConnector>().OfType<T>().Single();

    public async Task<BillingConnection> AddConnectionAsync(string provider, string baseUrl, string key, int backfillDays = 0)
    {
        var created = await Service<BillingConnectionService>().CreateAsync(
            new BillingConnectionInput(provider, $"{provider} {Guid.NewGuid():N}", baseUrl, key, BackfillDays: backfillDays), AccessScope.System.WithActor("test"));
        Assert.True(created.Succeeded, created.ErrorText);
        return await WithDbAsync(db => db.BillingConnections.AsNoTracking().SingleAsync(c => c.Id == created.Value!.Id));
    }

    public async Task<T> WithDbAsync<T>(Func<QuotaDbContext, Task<T>> read)
    {
        await using var db = await Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync();
        return await read(db);
    }

    public async Task<HttpClient> AdminClientAsync()
    {
        var key = await Service<QuotaPortal.ApiKeys.ApiKeyService>().CreateAsync($"billing-{Guid.NewGuid():N}", "admin", null,
            AccessScope.System.WithActor("test"));
        var client = App.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key.Value!.Secret);
        return client;
    }

    public string AllLogText() => string.Join("\n", Logs.Lines.Select(l => l.Text));

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        await Root.DisposeAsync();
    }
}
