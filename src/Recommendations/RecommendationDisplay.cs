using MudBlazor;
using QuotaPortal.Kernel;
using QuotaPortal.Kernel.Components;

namespace QuotaPortal.Recommendations;

/// <summary>How the recommendation pages word and colour what the service returns: one place for the list, the detail and the simulator.</summary>
public static class RecommendationDisplay
{
    /// <summary>The status filter's choices: the service's default (still needs a decision or work) and each status on its own.</summary>
    public const string Actionable = "actionable";

    public static Color StatusColor(RecommendationStatus status) => status switch
    {
        RecommendationStatus.Open => Color.Info,
        RecommendationStatus.Accepted => Color.Primary,
        RecommendationStatus.Implemented => Color.Success,
        _ => Color.Default,
    };

    public static Color ConfidenceColor(Confidence confidence) => confidence switch
    {
        Confidence.High => Color.Success,
        Confidence.Medium => Color.Warning,
        _ => Color.Default,
    };

    /// <summary>A budget's limit moves no money: its row says so instead of showing $0.00.</summary>
    public static bool HasSaving(RecommendationRow row) => row.Kind != RecommendationKind.BudgetRightSizing;

    public static string Saving(RecommendationRow row) => HasSaving(row) ? Money.Usd(row.MonthlySaving) : "—";

    public static string SavingShare(RecommendationRow row) => HasSaving(row) && row.ScopeMonthlySpend > 0 ? Numbers.Percent(row.SavingPercent) : "—";

    public static string Hours(decimal hours) => hours < 1
        ? $"{(hours * 60).ToString("0", PortalCulture.Culture)} min"
        : $"{hours.ToString("#,0.#", PortalCulture.Culture)} h";

    /// <summary>Amounts of a calculation: cents, and four decimals for what would otherwise read $0.00.</summary>
    public static string Usd(decimal amount) => amount != 0 && Math.Abs(amount) < 0.01m ? Money.Usd(amount, 4) : Money.Usd(amount);

    /// <summary>"12,000,000 tokens × $5.00/M tokens = $60.00" when the line has a quantity and a rate; otherwise the amount alone.</summary>
    public static string Formula(CalcLine line, Func<decimal, string> amount)
    {
        if (line.Quantity is not { } quantity || line.Rate is not { } rate)
            return amount(line.Amount);
        return $"{Quantity(quantity, line.Unit)} × {Rate(rate, line.RateUnit)} = {amount(line.Amount)}";
    }

    private static string Quantity(decimal quantity, string? unit) => unit switch
    {
        "USD" => Usd(quantity),
        null or "" => quantity.ToString("#,0.##", PortalCulture.Culture),
        // A share of the traffic leaves half tokens; whole ones read better and change no cent of the amount.
        "tokens" => $"{quantity.ToString("#,0", PortalCulture.Culture)} tokens",
        _ => $"{quantity.ToString("#,0.##", PortalCulture.Culture)} {unit}",
    };

    private static string Rate(decimal rate, string? unit) => unit switch
    {
        "×" or null or "" => rate.ToString("0.####", PortalCulture.Culture),
        _ when unit.StartsWith('/') => Money.Price(rate) + unit,
        _ => $"{rate.ToString("#,0.####", PortalCulture.Culture)} {unit}",
    };

    /// <summary>The calculation's sides in reading order, each with its lines and (for Now and After) their total.</summary>
    public static IReadOnlyList<(string Side, IReadOnlyList<CalcLine> Lines, decimal? Total)> Sides(IReadOnlyList<CalcLine> lines, bool totals = true) =>
        new[] { SavingMath.Now, SavingMath.After, SavingMath.Saving }
            .Select(side => (side, Lines: (IReadOnlyList<CalcLine>)lines.Where(l => l.Side == side).ToList()))
            .Where(s => s.Lines.Count > 0)
            .Select(s => (s.side, s.Lines, totals && s.side != SavingMath.Saving ? s.Lines.Sum(l => l.Amount) : (decimal?)null))
            .ToList();

    public static string SideTitle(string side) => side switch
    {
        SavingMath.Now => "Now",
        SavingMath.After => "After the change",
        _ => "Saving",
    };

    public static string TotalTitle(string side) => side == SavingMath.Now ? "Total now" : "Total after the change";

    public static string WhatIfName(WhatIfKind kind) => kind switch
    {
        WhatIfKind.SwitchModel => "Move traffic to another model",
        WhatIfKind.Caching => "Cache the stable part of prompts",
        _ => "Send work through the batch API",
    };

    /// <summary>The scope's cost per day as bars; once implemented, the days since the change in a second colour.</summary>
    public static AxisChart DailyChart(IReadOnlyList<DailyCost> daily, DateTime? implementedAt)
    {
        var chart = new AxisChart(ChartText.Days([.. daily.Select(d => d.Day)]), ChartValue.Money, maxAxisLabels: 10);
        if (implementedAt is not { } at)
            return chart.Add("Cost", daily.Select(d => (double)d.Cost).ToList(), SeriesPalette.Colors[0]);
        var changed = DateOnly.FromDateTime(at);
        chart.Add("Before the change", daily.Select(d => d.Day < changed ? (double?)(double)d.Cost : null).ToList(), SeriesPalette.Colors[0]);
        return chart.Add("Since the change", daily.Select(d => d.Day >= changed ? (double?)(double)d.Cost : null).ToList(), SeriesPalette.Colors[2]);
    }
}
