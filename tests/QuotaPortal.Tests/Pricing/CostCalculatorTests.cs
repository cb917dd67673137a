using QuotaPortal.Pricing;

namespace QuotaPortal.Tests.Pricing;

public sealed class CostCalculatorTests
{
    private static ModelPrice Price(decimal input, decimal output, decimal? cached = null, decimal? reasoning = null, decimal batch = 0) => new()
    {
        Provider = "openai", Model = "m", InputPerMTok = input, OutputPerMTok = output, CachedInputPerMTok = cached,
        ReasoningPerMTok = reasoning, BatchDiscountPercent = batch, EffectiveFrom = DefaultPrices.EffectiveFrom,
    };

    public static TheoryData<string, long, long, long, long, bool, decimal> Cases => new()
    {
        // name, input, output, cached, reasoning, batch, expected USD — GPT-4o ($5 / $15, cached $2.50)
        { "plain", 1_000_000, 1_000_000, 0, 0, false, 20m },
        { "cached part billed once, at the cached rate", 1_000_000, 0, 400_000, 0, false, 600_000 * 5m / 1e6m + 400_000 * 2.5m / 1e6m },
        { "batch halves the price", 1_000_000, 1_000_000, 0, 0, true, 10m },
        { "nothing costs nothing", 0, 0, 0, 0, false, 0m },
        { "cached above input is clamped to input", 1_000, 0, 5_000, 0, false, 1_000 * 2.5m / 1e6m },
        { "single token keeps its fraction of a cent", 1, 0, 0, 0, false, 0.000005m },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gpt4o_costs(string name, long input, long output, long cached, long reasoning, bool batch, decimal expected)
    {
        var cost = CostCalculator.Compute(Price(5m, 15m, cached: 2.5m, batch: 50), new TokenCounts(input, output, cached, reasoning), batch);
        Assert.True(expected == cost, $"{name}: expected {expected}, got {cost}");
    }

    [Fact]
    public void Reasoning_tokens_use_their_own_rate_when_the_catalog_has_one()
    {
        var withRate = CostCalculator.Compute(Price(1m, 4m, reasoning: 10m), new TokenCounts(0, 1_000_000, 0, 250_000));
        Assert.Equal(750_000 * 4m / 1e6m + 250_000 * 10m / 1e6m, withRate);
        var asOutput = CostCalculator.Compute(Price(1m, 4m), new TokenCounts(0, 1_000_000, 0, 250_000));
        Assert.Equal(4m, asOutput);
    }

    [Fact]
    public void Without_a_cached_rate_cached_tokens_cost_plain_input_not_twice()
    {
        var cost = CostCalculator.Compute(Price(30m, 60m), new TokenCounts(1_000_000, 0, 500_000));
        Assert.Equal(30m, cost);
    }
}

public sealed class PriceCatalogTests
{
    private static readonly IReadOnlyList<ModelPrice> Catalog = DefaultPrices.Create(DefaultPrices.EffectiveFrom).ToList();

    [Theory]
    [InlineData("openai", "gpt-4o", "gpt-4o")]
    [InlineData("OpenAI", "GPT-4o", "gpt-4o")]
    [InlineData("openai", "gpt-4o-2024-08-06", "gpt-4o")]
    [InlineData("openai", "gpt-4o-mini-2024-07-18", "gpt-4o-mini")]
    [InlineData("anthropic", "claude-3-5-sonnet-20241022", "claude-3-5-sonnet")]
    [InlineData("anthropic", "claude-3-haiku-20240307", "claude-3-haiku")]
    public void Resolves_names_aliases_and_dated_snapshots(string provider, string model, string expected) =>
        Assert.Equal(expected, PriceCatalog.Resolve(Catalog, provider, model, DateTime.UtcNow)?.Model);

    [Theory]
    [InlineData("openai", "gpt-5-ultra")]
    [InlineData("anthropic", "gpt-4o")]
    [InlineData("openai", "gpt-4o-turbo-fast")]
    public void Unknown_models_have_no_price(string provider, string model) =>
        Assert.Null(PriceCatalog.Resolve(Catalog, provider, model, DateTime.UtcNow));

    [Fact]
    public void A_record_is_priced_with_the_version_effective_at_its_time()
    {
        var cut = new DateTime(2026, 6, 1, 0, 0, 0, DateTimeKind.Utc);
        var prices = Catalog.Append(new ModelPrice { Provider = "openai", Model = "gpt-4o", InputPerMTok = 2.5m, OutputPerMTok = 10m, EffectiveFrom = cut }).ToList();
        Assert.Equal(5m, PriceCatalog.Resolve(prices, "openai", "gpt-4o", cut.AddSeconds(-1))!.InputPerMTok);
        Assert.Equal(2.5m, PriceCatalog.Resolve(prices, "openai", "gpt-4o", cut)!.InputPerMTok);
    }

    [Theory]
    [InlineData("openai", "gpt-4", 30, 60)]
    [InlineData("openai", "gpt-4-turbo", 10, 30)]
    [InlineData("openai", "gpt-4o", 5, 15)]
    [InlineData("openai", "gpt-4o-mini", 0.15, 0.60)]
    [InlineData("openai", "gpt-3.5-turbo", 0.50, 1.50)]
    [InlineData("anthropic", "claude-3-opus", 15, 75)]
    [InlineData("anthropic", "claude-3-5-sonnet", 3, 15)]
    [InlineData("anthropic", "claude-3-haiku", 0.25, 1.25)]
    [InlineData("perplexity", "sonar-pro", 1, 3)]
    [InlineData("perplexity", "sonar-small", 0.20, 0.60)]
    [InlineData("openai", "text-embedding-3-small", 0.02, 0)]
    public void Ships_the_required_default_prices(string provider, string model, double input, double output)
    {
        var price = PriceCatalog.Resolve(Catalog, provider, model, DateTime.UtcNow)!;
        Assert.Equal((decimal)input, price.InputPerMTok);
        Assert.Equal((decimal)output, price.OutputPerMTok);
    }
}
