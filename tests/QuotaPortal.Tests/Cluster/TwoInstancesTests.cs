using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Alerts;
using QuotaPortal.ApiKeys;
using QuotaPortal.Budgets;
using QuotaPortal.Cluster;
using QuotaPortal.Data;
using QuotaPortal.Notifications;
using QuotaPortal.Teams;
using QuotaPortal.Tests.Notifications;

namespace QuotaPortal.Tests.Cluster;

/// <summary>Two real portal instances (test hosts) on one database: the database decides, not an in-process lock.</summary>
public sealed class TwoInstancesTests : IAsyncLifetime
{
    private readonly SharedDatabase database = new();
    private PortalInstance a = null!, b = null!;
    private string key = "";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        (a, b, key) = await database.StartPairAsync(Ct);
    }

    public ValueTask DisposeAsync() => database.DisposeAsync();

    private object Record(string idempotencyKey, long inputTokens = 1000, DateTimeOffset? at = null) => new
    {
        team = "bots", provider = "openai", model = "gpt-4o", apiMethod = "chat.completions", inputTokens, outputTokens = 0,
        idempotencyKey, timestamp = at ?? database.Time.GetUtcNow(),
    };

    private async Task<T> WithDbAsync<T>(Func<QuotaDbContext, Task<T>> read)
    {
        await using var db = await a.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        return await read(db);
    }

    [Fact]
    public async Task Both_instances_ingesting_the_same_records_at_once_store_each_record_once()
    {
        var keys = Enumerable.Range(0, 200).Select(i => $"req-{i:000}").ToList();
        // A sends the records front to back, B back to front, four batches of ten in flight on each.
        async Task<int> SendAllAsync(PortalInstance instance, IEnumerable<string> order)
        {
            var client = instance.KeyClient(key);
            var accepted = 0;
            await Parallel.ForEachAsync(order.Chunk(10), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = Ct }, async (batch, ct) =>
            {
                var response = await client.PostAsJsonAsync("/api/v1/usage", batch.Select(k => Record(k)).ToList(), ct);
                response.EnsureSuccessStatusCode();
                Interlocked.Add(ref accepted, (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("accepted").GetInt32());
            });
            return accepted;
        }

        var accepted = await Task.WhenAll(SendAllAsync(a, keys), SendAllAsync(b, Enumerable.Reverse(keys)));

        Assert.Equal(200, accepted.Sum());
        Assert.Equal(200, await WithDbAsync(db => db.UsageRecords.CountAsync(Ct)));
        Assert.Equal(200, await WithDbAsync(db => db.UsageRecords.Select(r => r.IdempotencyKey).Distinct().CountAsync(Ct)));
        var raw = await WithDbAsync(db => db.UsageRecords.SumAsync(r => r.CostNanos, Ct));
        Assert.Equal(raw, await WithDbAsync(db => db.UsageHourly.SumAsync(r => r.CostNanos, Ct)));
        Assert.Equal(raw, await WithDbAsync(db => db.UsageDaily.SumAsync(r => r.CostNanos, Ct)));
    }

    [Fact]
    public async Task A_batch_retried_through_the_other_instance_with_its_idempotency_key_is_written_once()
    {
        var body = Enumerable.Range(0, 5).Select(i => Record(idempotencyKey: null!, inputTokens: 1000 + i)).ToList();
        async Task<HttpResponseMessage> SendAsync(PortalInstance instance)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/usage") { Content = JsonContent.Create(body) };
            request.Headers.Add("Idempotency-Key", "batch-7");
            return await instance.KeyClient(key).SendAsync(request, Ct);
        }

        var answers = await Task.WhenAll(SendAsync(a), SendAsync(b));

        Assert.All(answers, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Single(answers, r => r.Headers.Contains("Idempotent-Replayed"));
        var ids = await Task.WhenAll(answers.Select(async r => (await r.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("ids").ToString()));
        Assert.Equal(ids[0], ids[1]);
        Assert.Equal(5, await WithDbAsync(db => db.UsageRecords.CountAsync(Ct)));
    }

    /// <summary>A $1 daily budget on "bots" with a webhook channel on <paramref name="receiver"/>; usage worth $1.25 posted half on each instance.</summary>
    private async Task<int> CrossBudgetAsync(Receiver receiver)
    {
        var team = (await a.Service<TeamService>().ListTeamsAsync(ct: Ct)).Single(t => t.Slug == "bots");
        var budget = (await a.Service<BudgetService>().SaveAsync(null, new BudgetInput("Bots daily", null, team.Id, null, null, null, BudgetMetric.Cost, 1,
            BudgetPeriod.Daily, null, "UTC", "100", null, EnforcementMode.AlertOnly, null), Admin.Scope, Ct)).Value!;
        await a.Service<NotificationChannels>().SaveAsync(new NotificationChannel(Guid.Empty, "Ops hook", ChannelKind.Webhook, receiver.BaseUrl + "/hook",
            "hook-secret", AlertSeverity.Info, [], true), Admin.Scope, Ct);
        // 500,000 input tokens of gpt-4o = $1.25, each half through another instance.
        (await a.KeyClient(key).PostAsJsonAsync("/api/v1/usage", Record("half-1", 250_000), Ct)).EnsureSuccessStatusCode();
        (await b.KeyClient(key).PostAsJsonAsync("/api/v1/usage", Record("half-2", 250_000), Ct)).EnsureSuccessStatusCode();
        return budget.Id;
    }

    [Fact]
    public async Task A_budget_crossing_seen_by_both_instances_raises_one_alert_and_it_is_delivered_once()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Down = false;
        var budgetId = await CrossBudgetAsync(receiver);

        // Both evaluation loops tick at the same moment: the lease lets one evaluate.
        var ran = await Task.WhenAll(a.Evaluation.RunOnceAsync(Ct), b.Evaluation.RunOnceAsync(Ct));
        Assert.Single(ran, r => r);
        Assert.Equal(1, await WithDbAsync(db => db.Alerts.CountAsync(x => x.BudgetId == budgetId, Ct)));
        Assert.Equal(1, await WithDbAsync(db => db.NotificationOutbox.CountAsync(Ct)));

        // Even two dispatchers passing at once (a manual "send now" beside the loop) claim each row once.
        var sent = new List<int>();
        for (var pass = 0; pass < 3; pass++)
            sent.AddRange(await Task.WhenAll(a.Service<NotificationDispatcher>().DispatchDueAsync(Ct), b.Service<NotificationDispatcher>().DispatchDueAsync(Ct)));

        Assert.Equal(1, sent.Sum());
        var delivery = Assert.Single(receiver.Requests);
        Assert.Equal("/hook", delivery.Path);
        Assert.Contains("Bots daily", delivery.Body);
    }

    [Fact]
    public async Task The_standby_evaluation_tick_does_nothing_and_says_who_holds_the_lease()
    {
        await using var receiver = await Receiver.StartAsync();
        await CrossBudgetAsync(receiver);
        Assert.True(await a.Evaluation.RunOnceAsync(Ct));
        var runsBefore = b.Service<EvaluationStatus>().Runs;

        Assert.False(await b.Evaluation.RunOnceAsync(Ct));

        var status = b.Service<EvaluationStatus>();
        Assert.Equal(runsBefore, status.Runs);
        Assert.Null(status.LastRunAt);
        Assert.StartsWith($"standby: held by {a.Id} until ", status.Instance);
        Assert.StartsWith("active on this instance", a.Service<EvaluationStatus>().Instance);
    }

    [Fact]
    public async Task When_the_evaluating_instance_dies_the_other_takes_over_once_the_lease_expires()
    {
        Assert.True(await a.Evaluation.RunOnceAsync(Ct));
        // Killed: its loop never gives the lease back (loops are off here, so nothing releases it on the way out).
        await a.DisposeAsync();
        var bound = LeaseService.TtlFor(TimeSpan.FromSeconds(60));
        Assert.Equal(TimeSpan.FromMinutes(3), bound);

        Assert.False(await b.Evaluation.RunOnceAsync(Ct));
        database.Time.Advance(bound - TimeSpan.FromSeconds(1));
        Assert.False(await b.Evaluation.RunOnceAsync(Ct));
        database.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(await b.Evaluation.RunOnceAsync(Ct));

        Assert.Equal(1, b.Service<EvaluationStatus>().Runs);
        Assert.StartsWith("active on this instance", b.Service<EvaluationStatus>().Instance);
    }

    [Fact]
    public async Task An_instance_that_stops_gracefully_hands_its_loop_over_at_once()
    {
        await using var looping = await database.StartAsync(("Evaluation:Enabled", "true"));
        var leases = looping.Service<LeaseService>();
        // Its loop's first tick, at start, takes the lease.
        await LeaseServiceTests.WaitForAsync(() => Task.FromResult(leases.StateOf(EvaluationService.LeaseName)?.HeldHere == true));
        Assert.False(await b.Evaluation.RunOnceAsync(Ct));

        await looping.DisposeAsync();

        Assert.True(await b.Evaluation.RunOnceAsync(Ct));
    }

    [Fact]
    public async Task The_dispatch_loop_on_a_standby_sends_nothing_and_takes_over_when_the_holder_stops_renewing()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Down = false;
        await CrossBudgetAsync(receiver);
        Assert.True(await a.Evaluation.RunOnceAsync(Ct));
        // A holds the dispatch lease (and then hangs: it never renews nor sends).
        Assert.True(await a.Service<LeaseService>().TryAcquireOrRenewAsync(NotificationDispatcher.LeaseName, LeaseService.TtlFor(TimeSpan.FromSeconds(5)), Ct));

        await using var standby = await database.StartAsync(("Notifications:DispatcherEnabled", "true"), ("Notifications:IntervalSeconds", "5"));
        var leases = standby.Service<LeaseService>();
        await LeaseServiceTests.WaitForAsync(() => Task.FromResult(leases.StateOf(NotificationDispatcher.LeaseName) is { HeldHere: false }));
        await Task.Delay(200, Ct);
        Assert.Empty(receiver.Requests);
        Assert.Equal(1, await WithDbAsync(db => db.NotificationOutbox.CountAsync(n => n.Status == DeliveryStatus.Pending, Ct)));

        database.Time.Advance(TimeSpan.FromSeconds(31));

        await LeaseServiceTests.WaitForAsync(() => Task.FromResult(!receiver.Requests.IsEmpty));
        Assert.Single(receiver.Requests);
        Assert.True(leases.StateOf(NotificationDispatcher.LeaseName)!.HeldHere);
    }
}
