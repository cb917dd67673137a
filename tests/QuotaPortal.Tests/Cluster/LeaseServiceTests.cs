using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using QuotaPortal.Cluster;
using QuotaPortal.Data;

namespace QuotaPortal.Tests.Cluster;

/// <summary>Two (or more) instances' lease services with their own ids on one database, on one fake clock.</summary>
public sealed class LeaseServiceTests : IAsyncLifetime
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);
    private readonly SharedDatabase database = new();
    private PortalInstance host = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => host = await database.StartAsync();

    public ValueTask DisposeAsync() => database.DisposeAsync();

    private LeaseService NewInstance() =>
        new(host.Service<IDbContextFactory<QuotaDbContext>>(), new ClusterInstance(), database.Time, NullLogger<LeaseService>.Instance);

    private async Task<Lease?> RowAsync(string name)
    {
        await using var db = await host.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        return await db.Leases.AsNoTracking().SingleOrDefaultAsync(l => l.Name == name, Ct);
    }

    [Fact]
    public async Task The_first_instance_takes_a_free_lease_and_the_second_stands_by_naming_the_holder()
    {
        var (a, b) = (NewInstance(), NewInstance());

        Assert.True(await a.TryAcquireOrRenewAsync("work", Ttl, Ct));
        Assert.False(await b.TryAcquireOrRenewAsync("work", Ttl, Ct));

        var row = await RowAsync("work");
        Assert.Equal(a.InstanceId, row!.Holder);
        Assert.Equal(database.Time.GetUtcNow().UtcDateTime + Ttl, row.ExpiresAt);
        var standby = b.StateOf("work")!;
        Assert.False(standby.HeldHere);
        Assert.Equal($"standby: held by {a.InstanceId} until {row.ExpiresAt:yyyy-MM-dd HH:mm:ss} UTC", standby.Describe());
    }

    [Fact]
    public async Task The_holder_that_renews_keeps_the_lease_past_its_first_ttl()
    {
        var (a, b) = (NewInstance(), NewInstance());
        Assert.True(await a.TryAcquireOrRenewAsync("work", Ttl, Ct));
        var acquiredAt = (await RowAsync("work"))!.AcquiredAt;

        for (var i = 0; i < 5; i++)
        {
            database.Time.Advance(Ttl / 2);
            Assert.True(await a.TryAcquireOrRenewAsync("work", Ttl, Ct));
            Assert.False(await b.TryAcquireOrRenewAsync("work", Ttl, Ct));
        }

        var row = await RowAsync("work");
        Assert.Equal(a.InstanceId, row!.Holder);
        Assert.Equal(acquiredAt, row.AcquiredAt);
        Assert.Equal(database.Time.GetUtcNow().UtcDateTime + Ttl, row.ExpiresAt);
    }

    [Fact]
    public async Task A_lease_its_holder_stopped_renewing_is_taken_over_once_it_expires_and_not_before()
    {
        var (a, b) = (NewInstance(), NewInstance());
        Assert.True(await a.TryAcquireOrRenewAsync("work", Ttl, Ct));

        database.Time.Advance(Ttl - TimeSpan.FromSeconds(1));
        Assert.False(await b.TryAcquireOrRenewAsync("work", Ttl, Ct));
        database.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(await b.TryAcquireOrRenewAsync("work", Ttl, Ct));

        // The old holder, back from its pause, finds it gone and stands by.
        Assert.False(await a.TryAcquireOrRenewAsync("work", Ttl, Ct));
        var row = await RowAsync("work");
        Assert.Equal(b.InstanceId, row!.Holder);
        Assert.Equal(database.Time.GetUtcNow().UtcDateTime, row.AcquiredAt);
    }

    [Fact]
    public async Task A_released_lease_is_taken_by_the_next_instance_at_once()
    {
        var (a, b) = (NewInstance(), NewInstance());
        Assert.True(await a.TryAcquireOrRenewAsync("work", Ttl, Ct));

        await a.ReleaseAsync("work", Ct);

        Assert.True(await b.TryAcquireOrRenewAsync("work", Ttl, Ct));
        Assert.False(await a.TryAcquireOrRenewAsync("work", Ttl, Ct));
    }

    [Fact]
    public async Task Eight_instances_racing_for_a_new_lease_leave_exactly_one_holder()
    {
        var racers = Enumerable.Range(0, 8).Select(_ => NewInstance()).ToList();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var attempts = racers.Select(r => Task.Run(async () =>
        {
            await start.Task;
            return await r.TryAcquireOrRenewAsync("race", Ttl, Ct);
        }, Ct)).ToList();
        start.SetResult();
        var results = await Task.WhenAll(attempts);

        var winner = Assert.Single(racers.Where((_, i) => results[i]));
        Assert.Equal(winner.InstanceId, (await RowAsync("race"))!.Holder);
    }

    [Fact]
    public async Task Work_on_the_standby_does_not_run_and_work_on_the_holder_keeps_its_lease_while_it_runs()
    {
        var (a, b) = (NewInstance(), NewInstance());
        var ranOnB = false;
        var inside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finish = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var onA = a.RunIfHolderAsync("long", Ttl, async _ =>
        {
            inside.SetResult();
            await finish.Task;
        }, Ct);
        await inside.Task;
        // The work outlives several TTLs; the heartbeat (every third of the TTL) keeps the lease.
        for (var i = 0; i < 9; i++)
        {
            database.Time.Advance(Ttl / 3);
            await WaitForAsync(async () => (await RowAsync("long"))!.ExpiresAt >= database.Time.GetUtcNow().UtcDateTime + Ttl - TimeSpan.FromSeconds(1));
            Assert.False(await b.RunIfHolderAsync("long", Ttl, _ => { ranOnB = true; return Task.CompletedTask; }, Ct));
        }
        finish.SetResult();

        Assert.True(await onA);
        Assert.False(ranOnB);
    }

    internal static async Task WaitForAsync(Func<Task<bool>> condition, int timeoutMs = 10_000)
    {
        var until = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
                throw new TimeoutException("The condition did not become true in time.");
            await Task.Delay(20);
        }
    }
}
