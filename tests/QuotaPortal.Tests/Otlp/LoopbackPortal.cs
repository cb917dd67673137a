using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using QuotaPortal.ApiKeys;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;
using QuotaPortal.Usage;

namespace QuotaPortal.Tests.Otlp;

/// <summary>
/// The portal (a <see cref="PortalFactory"/>: temporary database, FakeTimeProvider) on real Kestrel on a loopback port, so exporters
/// that nobody here wrote talk to it over TCP; teams "search" and "docs" and an ingest key for each scope the tests use.
/// </summary>
public sealed class LoopbackPortal : IAsyncLifetime
{
    public PortalFactory Factory { get; } = new();
    public Uri BaseAddress { get; private set; } = null!;
    public Uri TracesEndpoint => new(BaseAddress, "/v1/traces");
    public string SearchKey { get; private set; } = "";
    public string AllKey { get; private set; } = "";
    public string ReadKey { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        BaseAddress = new Uri(Factory.StartKestrel());
        var system = AccessScope.System.WithActor("test");
        var teams = Factory.Service<TeamService>();
        await teams.CreateTeamAsync(new TeamInput("Search", "search", null, null, null), system);
        await teams.CreateTeamAsync(new TeamInput("Docs", "docs", null, null, null), system);
        var keys = Factory.Service<ApiKeyService>();
        SearchKey = (await keys.CreateAsync("search-otel", "ingest:search", null, system)).Value!.Secret;
        AllKey = (await keys.CreateAsync("gateway-otel", "ingest:*", null, system)).Value!.Secret;
        ReadKey = (await keys.CreateAsync("reader", "read:search", null, system)).Value!.Secret;
    }

    public async ValueTask DisposeAsync() => await Factory.DisposeAsync();

    public HttpClient Client(string? key = null, bool bearer = true)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (key is not null)
        {
            if (bearer)
                client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
            else
                client.DefaultRequestHeaders.Add("X-Api-Key", key);
        }
        return client;
    }

    public async Task<List<UsageRecord>> RecordsAsync(Func<IQueryable<UsageRecord>, IQueryable<UsageRecord>> where)
    {
        await using var db = await Factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync();
        return await where(db.UsageRecords.AsNoTracking()).ToListAsync();
    }

    public async Task<int> TeamIdAsync(string slug)
    {
        await using var db = await Factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync();
        return await db.Teams.Where(t => t.Slug == slug).Select(t => t.Id).SingleAsync();
    }
}
