using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Billing;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Usage;

namespace QuotaPortal.Focus;

/// <summary>
/// One FOCUS charge: a team's spend on one model of one provider on one UTC day, summed from the daily rollups (every API method
/// together) — the same rows the dashboard's and the reports' figures are summed from.
/// </summary>
public sealed record FocusCharge(DateTime DayUtc, string TeamSlug, string TeamName, string? DepartmentSlug, string Provider, string Model,
    long InputTokens, long OutputTokens, long CachedInputTokens, long ReasoningTokens, long Requests, decimal Cost)
{
    /// <summary>Tokens as budgets and the dashboard count them: input + output (cached and reasoning tokens are parts of those).</summary>
    public long Tokens => InputTokens + OutputTokens;
}

/// <summary>
/// The FinOps Open Cost and Usage Specification (FOCUS) 1.2 export of tracked LLM spend, so finance can load it into the FinOps tools
/// they already use. Columns: the 21 mandatory ones (in the specification's alphabetical order), the conditional ones that LLM spend
/// fills, then QuotaPortal's own prefixed <c>x_</c>. The mapping is documented in the README ("FOCUS export").
/// </summary>
public sealed class FocusExport(IDbContextFactory<QuotaDbContext> dbFactory) : IUsageExportFormat
{
    public const string ServiceCategory = "AI and Machine Learning";
    /// <summary>FOCUS UnitFormat "&lt;quantity&gt; &lt;plural-units&gt;": prices are per million tokens, as every provider lists them.</summary>
    public const string PricingUnit = "1000000 Tokens";

    public static readonly string[] MandatoryColumns =
    [
        "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory",
        "ChargeClass", "ChargeDescription", "ChargePeriodEnd", "ChargePeriodStart", "ContractedCost", "EffectiveCost", "InvoiceIssuerName",
        "ListCost", "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName",
    ];

    public static readonly string[] ConditionalColumns =
        ["ConsumedQuantity", "ConsumedUnit", "ListUnitPrice", "SkuId", "SubAccountId", "SubAccountName", "Tags"];

    public static readonly string[] CustomColumns =
        ["x_InputTokens", "x_OutputTokens", "x_CachedInputTokens", "x_ReasoningTokens", "x_Requests", "x_Department", "x_Model"];

    public static IEnumerable<string> Columns => MandatoryColumns.Concat(ConditionalColumns).Concat(CustomColumns);

    public string Name => "focus";
    public string ContentType => "text/csv; charset=utf-8";
    public string FileExtension => "focus.csv";

    /// <summary>The daily rollups know no outcome, tag or key: those filters cannot be honoured without reading raw records.</summary>
    public Dictionary<string, string[]>? Validate(UsageFilter filter)
    {
        var errors = new Dictionary<string, string[]>();
        const string why = "The FOCUS export is built from the daily rollups, which do not keep this; remove the filter (or export CSV/JSON).";
        if (filter.Success is not null) errors["success"] = [why];
        if (filter.Tag is not null) errors["tag"] = [why];
        if (filter.ApiKeyId is not null) errors["apiKey"] = [why];
        return errors.Count == 0 ? null : errors;
    }

    public async Task WriteAsync(UsageFilter filter, Stream body, CancellationToken ct)
    {
        await using var text = new StreamWriter(body, leaveOpen: true);
        await WriteCsvAsync(ChargesAsync(filter, ct), text, ct);
    }

    /// <summary>
    /// The charges for the filter, oldest day first. Days are whole UTC days: a range that starts or ends inside a day includes that
    /// day whole (a FOCUS charge period is the rollup's day).
    /// </summary>
    public async IAsyncEnumerable<FocusCharge> ChargesAsync(UsageFilter filter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var teams = await db.Teams.AsNoTracking()
            .Select(t => new { t.Id, t.Slug, t.Name, Department = t.Department == null ? null : t.Department.Slug })
            .ToDictionaryAsync(t => t.Id, ct);
        await foreach (var g in Grouped(db, filter).AsAsyncEnumerable().WithCancellation(ct))
        {
            if (!teams.TryGetValue(g.TeamId, out var team))
                continue;
            yield return new FocusCharge(DateTime.SpecifyKind(g.Day, DateTimeKind.Utc), team.Slug, team.Name, team.Department, g.Provider,
                g.Model, g.Input, g.Output, g.Cached, g.Reasoning, g.Requests, Money.FromNanos(g.CostNanos));
        }
    }

    private sealed record Group(int TeamId, DateTime Day, string Provider, string Model, long Input, long Output, long Cached, long Reasoning,
        long Requests, long CostNanos);

    private static IQueryable<Group> Grouped(QuotaDbContext db, UsageFilter f)
    {
        var q = db.UsageDaily.AsNoTracking().AsQueryable();
        if (f.FromUtc is { } from)
        {
            var fromDay = from.Date;
            q = q.Where(r => r.BucketStart >= fromDay);
        }
        if (f.ToUtc is { } to)
        {
            var toDay = to == to.Date ? to : to.Date.AddDays(1);
            q = q.Where(r => r.BucketStart < toDay);
        }
        if (f.TeamId is { } teamId) q = q.Where(r => r.TeamId == teamId);
        if (f.TeamIds is { } allowed) q = q.Where(r => allowed.Contains(r.TeamId));
        if (f.Provider is { } provider) q = q.Where(r => r.Provider == provider);
        if (f.Model is { } model) q = q.Where(r => r.Model == model);
        if (f.ApiMethod is { } method) q = q.Where(r => r.ApiMethod == method);
        // Ordered on the group key, then projected (EF cannot order on a record's constructor arguments).
        return q.GroupBy(r => new { r.BucketStart, r.TeamId, r.Provider, r.Model })
            .OrderBy(g => g.Key.BucketStart).ThenBy(g => g.Key.TeamId).ThenBy(g => g.Key.Provider).ThenBy(g => g.Key.Model)
            .Select(g => new Group(g.Key.TeamId, g.Key.BucketStart, g.Key.Provider, g.Key.Model, g.Sum(r => r.InputTokens), g.Sum(r => r.OutputTokens),
                g.Sum(r => r.CachedInputTokens), g.Sum(r => r.ReasoningTokens), g.Sum(r => r.Requests), g.Sum(r => r.CostNanos)));
    }

    /// <summary>The download rules apply: a model or team name that a spreadsheet would run as a formula is escaped.</summary>
    public static Task WriteCsvAsync(IAsyncEnumerable<FocusCharge> charges, TextWriter text, CancellationToken ct) =>
        CsvExport.WriteAsync(text, Columns, charges, Values, ct);

    /// <summary>One charge's values in <see cref="Columns"/> order; null is an empty field (FOCUS null).</summary>
    public static IEnumerable<string?> Values(FocusCharge c)
    {
        var provider = BillingProviders.DisplayName(c.Provider);
        var cost = Decimal(c.Cost);
        var month = new DateTime(c.DayUtc.Year, c.DayUtc.Month, 1, 0, 0, 0, DateTimeKind.Utc);
        var pricingQuantity = c.Tokens / 1_000_000m;
        var tags = new Dictionary<string, string> { ["team"] = c.TeamSlug };
        if (c.DepartmentSlug is { } dept)
            tags["department"] = dept;
        return
        [
            // Mandatory, alphabetical.
            cost, c.Provider, $"{provider} account", "USD", Instant(month.AddMonths(1)), Instant(month), "Usage", null,
            string.Create(CultureInfo.InvariantCulture, $"{c.Model} on {provider}: {c.Tokens:N0} tokens in {c.Requests:N0} requests for team {c.TeamName}"),
            Instant(c.DayUtc.AddDays(1)), Instant(c.DayUtc), cost, cost, provider, cost, Decimal(pricingQuantity), PricingUnit, provider, provider,
            ServiceCategory, $"{provider} API",
            // Conditional.
            c.Tokens.ToString(CultureInfo.InvariantCulture), "Tokens", c.Tokens == 0 ? null : Decimal(decimal.Round(c.Cost / pricingQuantity, 9)),
            $"{c.Provider}/{c.Model}", c.TeamSlug, c.TeamName, JsonSerializer.Serialize(tags),
            // QuotaPortal's own.
            Count(c.InputTokens), Count(c.OutputTokens), Count(c.CachedInputTokens), Count(c.ReasoningTokens), Count(c.Requests), c.DepartmentSlug, c.Model,
        ];
    }

    /// <summary>FOCUS DateTime: ISO 8601 in UTC, seconds precision, "Z".</summary>
    public static string Instant(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>FOCUS Decimal: invariant, always with a decimal point, no exponent, no thousands separator.</summary>
    private static string Decimal(decimal value) => value.ToString("0.0#########", CultureInfo.InvariantCulture);

    private static string Count(long value) => value.ToString(CultureInfo.InvariantCulture);
}
