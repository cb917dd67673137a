using QuotaPortal.Kernel;
using QuotaPortal.Pricing;

namespace QuotaPortal.Recommendations;

/// <summary>
/// Input the provider would bill at its cached price: prompts sent again and again (the same <c>promptHash</c>: every call after the first
/// reads the cache, the first writes it), or, without hashes, long prompts with short answers on one agent, whose stable prefix is an
/// assumed share of the input. Net of the cache-write premium where the catalog has one.
/// </summary>
public static class PromptCachingRule
{
    private const int MinimumCacheablePrompt = 1024;

    public static IEnumerable<Finding> Find(RecommendationInputs inputs, RecommendationOptions options)
    {
        var measured = new HashSet<(int, string, string, string?)>();
        foreach (var g in inputs.Repeats.GroupBy(r => (r.TeamId, r.Provider, r.Model, r.AgentId)))
        {
            if (Cacheable(inputs, g.Key.Provider, g.Key.Model) is not { } price)
                continue;
            measured.Add(g.Key);
            var reads = g.Sum(r => (decimal)r.UncachedInputTokens * (r.Calls - 1) / r.Calls);
            var all = g.Sum(r => (decimal)r.UncachedInputTokens);
            var hitRate = all == 0 ? 0 : reads / all;
            var scope = Scope(inputs, g.Key);
            var evidence = new List<EvidenceRow>
            {
                new("Prompts sent more than once", $"{Numbers.Count(g.Count())} distinct prompts, {Numbers.Count(g.Sum(r => r.Calls))} calls"),
                new("Calls that repeat an earlier prompt", Numbers.Count(g.Sum(r => r.Calls - 1))),
                new("Uncached input of those calls", Numbers.Count((long)all) + " tokens"),
                new("Share a cache would serve", Numbers.Percent(hitRate * 100) + " (every call after the first)"),
            };
            if (Build(inputs, g.Key, price, all, hitRate, scope, evidence, Confidence.Medium) is { } f)
                yield return f;
        }
        foreach (var g in inputs.Slices.GroupBy(s => (s.TeamId, s.Provider, s.Model, s.AgentId)))
        {
            if (measured.Contains(g.Key) || g.Key.AgentId is null || Cacheable(inputs, g.Key.Provider, g.Key.Model) is not { } price)
                continue;
            long requests = g.Sum(s => s.Requests), input = g.Sum(s => s.InputTokens), output = g.Sum(s => s.OutputTokens);
            var uncached = input - g.Sum(s => Math.Min(s.CachedInputTokens, s.InputTokens));
            if (requests < 100 || output == 0 || input < MinimumCacheablePrompt * requests || input < 10 * output || uncached < 0.8m * input)
                continue;
            var prefix = uncached * options.AssumedStablePrefixShare;
            var evidence = new List<EvidenceRow>
            {
                new("Requests", Numbers.Count(requests)),
                new("Average prompt", $"{(decimal)input / requests:N0} input tokens for {(decimal)output / requests:N0} output tokens"),
                new("Input already cached", Numbers.Share(input - uncached, input)),
                new("Assumed stable prefix", $"{Numbers.Percent(options.AssumedStablePrefixShare * 100, "0")} of uncached input (no prompt hashes sent)"),
            };
            if (Build(inputs, g.Key, price, prefix, options.AssumedCacheHitRate, Scope(inputs, g.Key), evidence, Confidence.Low) is { } f)
                yield return f;
        }
    }

    private static ModelPrice? Cacheable(RecommendationInputs inputs, string provider, string model) =>
        inputs.Price(provider, model) is { CachedInputPerMTok: { } cached } price && cached < price.InputPerMTok ? price : null;

    private static List<UsageSlice> Scope(RecommendationInputs inputs, (int TeamId, string Provider, string Model, string? AgentId) k) =>
        inputs.Slices.Where(s => s.TeamId == k.TeamId && s.Provider == k.Provider && s.Model == k.Model && s.AgentId == k.AgentId).ToList();

    private static Finding? Build(RecommendationInputs inputs, (int TeamId, string Provider, string Model, string? AgentId) k, ModelPrice price,
        decimal cacheable, decimal hitRate, List<UsageSlice> scope, List<EvidenceRow> evidence, Confidence confidence)
    {
        var (saving, lines) = SavingMath.Caching(k.Model, price, cacheable, hitRate);
        if (saving <= 0)
            return null;
        lines.Add(new CalcLine(SavingMath.Saving, "Input price − (cache reads + cache writes)", null, null, null, null, saving));
        var spend = scope.Sum(s => s.Cost);
        var who = k.AgentId ?? "calls without an agent";
        evidence.InsertRange(0, [new("Window", SavingMath.Window(inputs)), new("Team", inputs.TeamName(k.TeamId)), new("Traffic", $"{who} on {k.Provider}/{k.Model}")]);
        evidence.Add(new("Prices per million input tokens", $"{Money.Price(price.InputPerMTok)} plain, {Money.Price(price.CachedInputPerMTok!.Value)} cached"
            + (price.CacheWritePerMTok is { } w ? $", {Money.Price(w)} to write" : "")));
        var details = new RecommendationDetails(evidence, lines, Steps(k.Provider, who));
        return new Finding(RecommendationKind.PromptCaching, $"cache|t{k.TeamId}|{k.Provider}|{k.Model}|{k.AgentId}", k.TeamId,
            $"Cache the repeated prompt prefix of {who} on {k.Model}",
            $"{Numbers.Count((long)inputs.Monthly(cacheable))} input tokens a month could be read from {k.Provider}'s prompt cache at {Money.Price(price.CachedInputPerMTok!.Value)} instead of {Money.Price(price.InputPerMTok)} per million.",
            inputs.Monthly(saving), inputs.Monthly(spend), confidence,
            "Low: answers do not change. A cache entry lives for minutes, so only calls close together hit it; the saving assumes they do.",
            details)
        {
            Provider = k.Provider, Model = k.Model, AgentId = k.AgentId, Target = "prompt caching",
        };
    }

    private static List<string> Steps(string provider, string who)
    {
        var steps = new List<string> { $"In {who}, put the stable part of the prompt first (system prompt, tools, examples, documents) and the per-call part last." };
        steps.Add(provider.ToLowerInvariant() switch
        {
            "anthropic" => "Mark the end of the stable part with cache_control: {\"type\": \"ephemeral\"} (Anthropic bills the write at 1.25 × input, reads at 0.1 ×).",
            "openai" => "OpenAI caches prompts of 1,024 tokens or more by itself: keep the prefix byte-identical between calls (no timestamps or ids in it).",
            "google" => "Create a context cache (cachedContents) for the shared prefix and pass its name with each call.",
            _ => $"Turn on {provider}'s prompt caching for the shared prefix.",
        });
        steps.Add("Check the cached_tokens the provider reports on the next calls; mark the recommendation implemented from the day they rise.");
        return steps;
    }
}
