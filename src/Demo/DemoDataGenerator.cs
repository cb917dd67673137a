using QuotaPortal.Pricing;
using QuotaPortal.Usage;

using QuotaPortal.Kernel;

namespace QuotaPortal.Demo;

public sealed record DemoTeam(string Name, string Slug, string Department, string OwnerEmail, double BaseRequestsPerHour,
    double DailyGrowth, (string Provider, string Model, string Method, double Share)[] Mix);

public sealed record DemoSpec(int Days = 90, int TeamCount = 8, int Seed = 20261123)
{
    public static readonly DemoSpec Default = new();
}

/// <summary>
/// Deterministic, realistic usage: business-hours daily curve, weekends at a third, steady growth, noise, a handful
/// of spikes and a few error/rate-limit bursts, plus the <see cref="DemoScenarios"/> the recommendations find. The same seed gives the
/// same data, so tests and benchmarks can rely on it. One record per team × hour × model × api method (× scenario agent), carrying that
/// hour's request count.
/// </summary>
public static class DemoDataGenerator
{
    public static readonly string[] Departments = ["Engineering", "Product", "Operations"];

    private static readonly (string Provider, string Model, string Method, double Share)[][] Mixes =
    [
        [("openai", "gpt-4o", "chat.completions", 0.45), ("openai", "gpt-4o-mini", "chat.completions", 0.35), ("openai", "text-embedding-3-small", "embeddings", 0.20)],
        [("anthropic", "claude-3-5-sonnet", "chat.completions", 0.55), ("anthropic", "claude-3-haiku", "chat.completions", 0.45)],
        [("openai", "gpt-4", "chat.completions", 0.25), ("openai", "gpt-4o-mini", "chat.completions", 0.50), ("openai", "o3-mini", "chat.completions", 0.25)],
        [("perplexity", "sonar-pro", "chat.completions", 0.6), ("perplexity", "sonar-small", "chat.completions", 0.4)],
        [("google", "gemini-1.5-pro", "chat.completions", 0.3), ("google", "gemini-1.5-flash", "chat.completions", 0.7)],
        [("mistral", "mistral-large", "chat.completions", 0.5), ("cohere", "command-r-plus", "chat.completions", 0.5)],
        [("anthropic", "claude-3-opus", "chat.completions", 0.15), ("anthropic", "claude-3-5-sonnet", "batch", 0.45), ("openai", "gpt-4o", "chat.completions", 0.40)],
        [("openai", "gpt-3.5-turbo", "chat.completions", 0.5), ("openai", "gpt-4o-mini", "batch", 0.3), ("openai", "text-embedding-3-large", "embeddings", 0.2)],
    ];

    private static readonly string[] NamedTeams =
        ["Search", "Support Bots", "Code Assist", "Research", "Marketing Content", "Data Science", "Legal Review", "Docs AI"];

    public static IReadOnlyList<DemoTeam> Teams(DemoSpec spec)
    {
        var rng = new Random(spec.Seed);
        var teams = new List<DemoTeam>(spec.TeamCount);
        for (var i = 0; i < spec.TeamCount; i++)
        {
            var name = i < NamedTeams.Length ? NamedTeams[i] : $"Team {i + 1:000}";
            var slug = QuotaPortal.Teams.Slug.From(name);
            teams.Add(new DemoTeam(name, slug, Departments[i % Departments.Length], $"{slug}-lead@example.com",
                BaseRequestsPerHour: 20 + rng.NextDouble() * 180,
                DailyGrowth: 0.002 + rng.NextDouble() * 0.008,
                Mix: Mixes[i % Mixes.Length]));
        }
        return teams;
    }

    /// <summary>Records for every hour in the <paramref name="spec"/>'s days up to (not including) the hour of <paramref name="endUtc"/>.</summary>
    public static IEnumerable<UsageRecord> Generate(DemoSpec spec, IReadOnlyDictionary<string, int> teamIds,
        IReadOnlyList<ModelPrice> prices, DateTime endUtc)
    {
        var teams = Teams(spec);
        var end = UsageStore.HourStart(endUtc);
        var start = end.AddDays(-spec.Days);
        var hours = (int)(end - start).TotalHours;
        for (var t = 0; t < teams.Count; t++)
        {
            var team = teams[t];
            // Not HashCode.Combine: it is seeded per process, so the "same" data would differ from run to run.
            var rng = new Random(unchecked(spec.Seed * 31 + t));
            // A few spike days per team: an agent loop or a backfill job gone wild.
            var spikes = Enumerable.Range(0, 3).Select(_ => rng.Next(spec.Days)).ToHashSet();
            var spikeHour = rng.Next(8, 18);
            var teamId = teamIds[team.Slug];
            for (var h = 0; h < hours; h++)
            {
                var ts = start.AddHours(h);
                var day = h / 24;
                var level = team.BaseRequestsPerHour * Math.Pow(1 + team.DailyGrowth, day) * HourFactor(ts.Hour) * WeekFactor(ts.DayOfWeek);
                if (spikes.Contains(day) && Math.Abs(ts.Hour - spikeHour) <= 1)
                    level *= 5;
                foreach (var mix in team.Mix)
                    if (Record(rng, team, teamId, mix, level, ts, prices) is { } record)
                        yield return record;
            }
            foreach (var record in ScenarioRecords(spec, t, team, teamId, start, hours, prices))
                yield return record;
        }
    }

    /// <summary>
    /// The team's <see cref="DemoScenarios"/>, from a random stream of their own so the ordinary mix stays as it was. A scenario runs at
    /// its stated rate at the end of the data and grows like the team towards it.
    /// </summary>
    private static IEnumerable<UsageRecord> ScenarioRecords(DemoSpec spec, int t, DemoTeam team, int teamId, DateTime start, int hours,
        IReadOnlyList<ModelPrice> prices)
    {
        var rng = new Random(unchecked(spec.Seed * 37 + t));
        var end = start.AddHours(hours);
        foreach (var scenario in DemoScenarios.All.Where(s => s.TeamRole == t % Mixes.Length))
            for (var h = 0; h < hours; h++)
            {
                var ts = start.AddHours(h);
                if (!DemoScenarios.IsActive(scenario.Hours, ts, end))
                    continue;
                var growth = Math.Pow(1 + team.DailyGrowth, h / 24 - spec.Days);
                if (DemoScenarios.Record(rng, team, teamId, scenario, growth, ts, prices) is { } record)
                    yield return record;
            }
    }

    /// <summary>One hour of one model for one team; null when the hour rounds to no requests. The random draws keep their order.</summary>
    private static UsageRecord? Record(Random rng, DemoTeam team, int teamId, (string Provider, string Model, string Method, double Share) mix,
        double level, DateTime ts, IReadOnlyList<ModelPrice> prices)
    {
        var (provider, model, method, share) = mix;
        var requests = (int)Math.Round(level * share * (0.8 + rng.NextDouble() * 0.4));
        if (requests <= 0)
            return null;
        var embeddings = method == "embeddings";
        var inputPer = embeddings ? 350 + rng.Next(200) : 900 + rng.Next(1400);
        var outputPer = embeddings ? 0 : 180 + rng.Next(500);
        var input = (long)requests * inputPer;
        var output = (long)requests * outputPer;
        var cached = embeddings ? 0 : (long)(input * (0.1 + rng.NextDouble() * 0.3));
        var reasoning = model.StartsWith('o') ? output / 2 : 0;
        var rateLimited = rng.NextDouble() < 0.01;
        var failed = rateLimited || rng.NextDouble() < 0.015;
        var price = PriceCatalog.Resolve(prices, provider, model, ts);
        var cost = price is null ? 0m : CostCalculator.Compute(price, new TokenCounts(input, output, cached, reasoning), method == "batch");
        var nanos = Money.ToNanos(cost);
        return new UsageRecord
        {
            TeamId = teamId,
            Provider = provider,
            Model = model,
            ApiMethod = method,
            InputTokens = input,
            OutputTokens = output,
            CachedInputTokens = cached,
            ReasoningTokens = reasoning,
            Requests = requests,
            CostNanos = nanos,
            CatalogCostNanos = nanos,
            Success = !failed,
            ErrorCode = rateLimited ? "429" : failed ? "500" : null,
            DurationMs = (int)(requests * (400 + outputPer * 12)),
            AgentId = $"{team.Slug}-agent-{1 + rng.Next(3)}",
            Timestamp = ts.AddMinutes(rng.Next(60)),
            ReceivedAt = ts.AddMinutes(59),
        };
    }

    /// <summary>Business-hours curve (UTC-ish office day), never quite zero at night.</summary>
    private static double HourFactor(int hour) => hour switch
    {
        < 6 => 0.15,
        < 8 => 0.45,
        < 12 => 1.0,
        < 13 => 0.8,
        < 18 => 1.05,
        < 21 => 0.5,
        _ => 0.25,
    };

    private static double WeekFactor(DayOfWeek day) => day switch
    {
        DayOfWeek.Saturday or DayOfWeek.Sunday => 0.35,
        DayOfWeek.Monday => 1.1,
        DayOfWeek.Friday => 0.9,
        _ => 1.0,
    };
}
