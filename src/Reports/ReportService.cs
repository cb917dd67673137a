using QuotaPortal.Forecasting;
using QuotaPortal.Budgets;
using QuotaPortal.Anomalies;
using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Recommendations;
using QuotaPortal.Usage;

namespace QuotaPortal.Reports;

public enum ReportKind { Daily, Weekly, Monthly }

public sealed record ReportLine(string Name, decimal Cost, double SharePercent, long Requests, long Tokens);

public sealed record ReportAnomaly(DateTime StartUtc, string Team, string? Model, decimal ActualUsd, decimal ExpectedUsd, decimal ImpactUsd, double Deviation, string? RootCause);

/// <summary>A period's summary for executives: totals, mix, trend, anomalies, forecast and budget risk.</summary>
public sealed record SpendReport(
    ReportKind Kind, DateOnly From, DateOnly To, DateTime GeneratedAtUtc,
    decimal Total, Change Change, decimal DailyAverage, long Requests, long Tokens,
    IReadOnlyList<ReportLine> TopTeams, IReadOnlyList<ReportLine> ModelMix, IReadOnlyList<ReportAnomaly> Anomalies,
    decimal MonthForecast, decimal MonthForecastLow, decimal MonthForecastHigh, string ForecastMethod,
    IReadOnlyList<BudgetRiskLine> BudgetRisks)
{
    /// <summary>Weekly reports: the top open recommendations and what implemented ones saved (empty in the others).</summary>
    public RecommendationDigest Recommendations { get; init; } = RecommendationDigest.Empty;

    /// <summary>Billed (the connected providers' own reports) against tracked over the report's UTC days; null without a billing connection.</summary>
    public Billing.Reconciliation? Billing { get; init; }

    /// <summary>"Billed by OpenAI: $180.75 vs tracked $150.00 for the same providers (coverage 83.0%, $30.75 untracked)".</summary>
    public string? BillingLine => Billing is { } b
        ? $"Billed by {b.ProviderNames}: " +
          $"{Money.Usd(b.Total.Billed)} vs tracked {Money.Usd(b.Total.Tracked)} for the same providers (coverage {Money.Ratio(b.Total.Coverage, "0.0%")}" +
          $"{(b.Total.Untracked > 0 ? $", {Money.Usd(b.Total.Untracked)} untracked" : "")})"
        : null;

    public int Days => To.DayNumber - From.DayNumber + 1;
    public decimal PreviousTotal => Change.Previous;
    public double? ChangePercent => Change.Percent;
    public string Trend => Change.Trend;
    public string ForecastBasis => SpendProjection.Explain(ForecastMethod);
    public string Title => Kind switch
    {
        ReportKind.Daily => $"Daily report · {From:yyyy-MM-dd}",
        ReportKind.Weekly => $"Weekly report · {From:yyyy-MM-dd} – {To:yyyy-MM-dd}",
        _ => $"Monthly report · {From:MMMM yyyy}",
    };
}

/// <summary>
/// Builds daily / weekly / monthly reports from the rollups. A report covers complete UTC days: "daily" is the given day,
/// "weekly" the Monday–Sunday week containing it, "monthly" its calendar month (cut at today when the month is not over).
/// </summary>
public sealed class ReportService(IDbContextFactory<QuotaDbContext> dbFactory, TimeProvider time, BudgetRiskService risks, DailySpendCache cache,
    AnomalyQueries anomalyQueries, RecommendationService recommendations, Billing.ReconciliationService reconciliation)
{
    public const int TopRecommendations = 5;

    public static (DateOnly From, DateOnly To) PeriodOf(ReportKind kind, DateOnly day) => kind switch
    {
        ReportKind.Daily => (day, day),
        ReportKind.Weekly => (Weeks.StartOf(day), Weeks.StartOf(day).AddDays(6)),
        _ => (new DateOnly(day.Year, day.Month, 1), new DateOnly(day.Year, day.Month, 1).AddMonths(1).AddDays(-1)),
    };

    /// <summary>
    /// What a report is compared with (<see cref="Comparison"/>): the day, week or calendar month before, cut at the same elapsed time when
    /// the report's period is still running (this week so far on Tuesday 18:00 against last Monday to Tuesday 18:00).
    /// </summary>
    public static UtcWindow PreviousOf(ReportKind kind, DateOnly day, DateTime nowUtc)
    {
        var (from, to) = PeriodOf(kind, day);
        var elapsed = Comparison.Elapsed(from.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), to.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), nowUtc);
        return kind == ReportKind.Monthly ? Comparison.MonthBefore(elapsed) : Comparison.Before(elapsed, TimeSpan.FromDays(kind == ReportKind.Daily ? 1 : 7));
    }

    /// <summary>The default report day: yesterday for a daily report (today is not over), today otherwise.</summary>
    public DateOnly DefaultDay(ReportKind kind)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        return kind == ReportKind.Daily ? today.AddDays(-1) : today;
    }

    /// <summary>The report over the teams the caller may see; the scheduled e-mail uses <see cref="AccessScope.System"/> (every team).</summary>
    public async Task<SpendReport> BuildAsync(ReportKind kind, AccessScope scope, DateOnly? day = null, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var today = DateOnly.FromDateTime(now);
        var (from, to) = PeriodOf(kind, day ?? DefaultDay(kind));
        if (to > today)
            to = today;
        var days = Math.Max(1, to.DayNumber - from.DayNumber + 1);
        var start = from.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var end = to.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var previousWindow = PreviousOf(kind, day ?? DefaultDay(kind), now);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var teams = await db.Teams.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.Name, ct);
        var visible = scope.TeamIdList;
        var daily = visible is null ? db.UsageDaily.AsNoTracking() : db.UsageDaily.AsNoTracking().Where(r => visible.Contains(r.TeamId));
        var rows = await daily
            .Where(r => r.BucketStart >= start && r.BucketStart < end)
            .GroupBy(r => new { r.TeamId, r.Model })
            .Select(g => new { g.Key.TeamId, g.Key.Model, Cost = g.Sum(r => r.CostNanos), Requests = g.Sum(r => r.Requests), Tokens = g.Sum(r => r.InputTokens + r.OutputTokens) })
            .ToListAsync(ct);
        var hourly = visible is null ? db.UsageHourly.AsNoTracking() : db.UsageHourly.AsNoTracking().Where(r => visible.Contains(r.TeamId));
        var previous = Money.FromNanos(await hourly
            .Where(r => r.BucketStart >= previousWindow.StartUtc && r.BucketStart < previousWindow.EndUtc).SumAsync(r => r.CostNanos, ct));
        var since = await cache.DataSinceAsync(visible, ct);
        var totalNanos = rows.Sum(r => r.Cost);
        var total = Money.FromNanos(totalNanos);
        double Share(long nanos) => totalNanos == 0 ? 0 : Math.Round(nanos * 100.0 / totalNanos, 1);
        var topTeams = rows.GroupBy(r => r.TeamId)
            .Select(g => new ReportLine(teams.GetValueOrDefault(g.Key, $"#{g.Key}"), Money.FromNanos(g.Sum(x => x.Cost)), Share(g.Sum(x => x.Cost)),
                g.Sum(x => x.Requests), g.Sum(x => x.Tokens)))
            .OrderByDescending(l => l.Cost).Take(5).ToList();
        var modelMix = rows.GroupBy(r => r.Model)
            .Select(g => new ReportLine(g.Key, Money.FromNanos(g.Sum(x => x.Cost)), Share(g.Sum(x => x.Cost)), g.Sum(x => x.Requests), g.Sum(x => x.Tokens)))
            .OrderByDescending(l => l.Cost).ToList();
        // One row per episode, as the Anomalies page counts them (an hourly spike also seen daily is one).
        var anomalies = (await anomalyQueries.EpisodesAsync(new AnomalyFilter(FromUtc: start, ToUtc: end), scope, ct))
            .Where(e => e.StartUtc >= start).Select(e => e.Main)
            .OrderByDescending(a => a.ImpactUsd).Take(20)
            .Select(a => new ReportAnomaly(a.StartUtc, a.Team, a.Model, a.ActualUsd, a.ExpectedUsd, a.ImpactUsd, a.Deviation, a.RootCause))
            .ToList();

        var totalsFrom = SpendProjection.HistoryStart(today).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var dayTotals = (await daily.Where(r => r.BucketStart >= totalsFrom)
                .GroupBy(r => r.BucketStart).Select(g => new { g.Key, Cost = g.Sum(r => r.CostNanos) }).ToListAsync(ct))
            .ToDictionary(d => DateOnly.FromDateTime(d.Key), d => Money.FromNanos(d.Cost));
        var forecast = SpendProjection.ForecastMonth(dayTotals, today);

        return new SpendReport(kind, from, to, now, total, new Change(total, previous, previousWindow, since), total / days,
            rows.Sum(r => r.Requests), rows.Sum(r => r.Tokens), topTeams, modelMix, anomalies,
            forecast.Projected, forecast.Low, forecast.High, forecast.Method, await risks.ListAsync(scope, ct))
        {
            Recommendations = kind == ReportKind.Weekly ? await recommendations.DigestAsync(scope, TopRecommendations, ct) : RecommendationDigest.Empty,
            Billing = await reconciliation.GetAsync(new Billing.ReconciliationQuery(from, to), scope, ct) is { Connected: true } billed ? billed : null,
        };
    }

    public static string ToCsv(SpendReport r)
    {
        static string N(decimal v) => v.ToString("0.00", CultureInfo.InvariantCulture);
        static string P(double v) => v.ToString(CultureInfo.InvariantCulture);
        static string L(long v) => v.ToString(CultureInfo.InvariantCulture);
        var rows = new List<string?[]>
        {
            new[] { "section", "name", "value", "share_percent", "requests", "tokens" },
            new[] { "summary", "period", $"{r.From:yyyy-MM-dd}..{r.To:yyyy-MM-dd}", null, null, null },
            new[] { "summary", "total_usd", N(r.Total), null, L(r.Requests), L(r.Tokens) },
            new[] { "summary", "previous_period_usd", N(r.PreviousTotal), null, null, null },
            new[] { "summary", "daily_average_usd", N(r.DailyAverage), null, null, null },
            new[] { "summary", "trend", r.Trend, r.ChangePercent?.ToString("0.0", CultureInfo.InvariantCulture), null, null },
            new[] { "forecast", "month_end_usd", N(r.MonthForecast), null, null, null },
            new[] { "forecast", "month_end_low_usd", N(r.MonthForecastLow), null, null, null },
            new[] { "forecast", "month_end_high_usd", N(r.MonthForecastHigh), null, null, null },
        };
        if (r.Billing is { } b)
            rows.AddRange(new[] { "billing", "billed_usd", N(b.Total.Billed), null, null, L(b.Total.BilledTokens) },
                new[] { "billing", "tracked_same_providers_usd", N(b.Total.Tracked), null, null, L(b.Total.TrackedTokens) },
                new[] { "billing", "untracked_usd", N(b.Total.Untracked), null, null, null });
        rows.AddRange(r.TopTeams.Select(t => new[] { "top_team", t.Name, N(t.Cost), P(t.SharePercent), L(t.Requests), L(t.Tokens) }));
        rows.AddRange(r.ModelMix.Select(m => new[] { "model", m.Name, N(m.Cost), P(m.SharePercent), L(m.Requests), L(m.Tokens) }));
        rows.AddRange(r.Anomalies.Select(a => new[] { "anomaly", $"{a.StartUtc:yyyy-MM-dd HH:mm} {a.Team}{(a.Model is null ? "" : " " + a.Model)}", N(a.ImpactUsd), null, null, null }));
        rows.AddRange(r.BudgetRisks.Select(b => new[] { "budget_risk", b.Budget, b.Risk.ToString(), null, null, null }));
        rows.AddRange(r.BudgetRisks.Select(b => new[] { "budget_projected_usd", b.Budget, N(b.Projected), null, null, null }));
        rows.AddRange(r.Recommendations.TopOpen.Select(o => new[] { "recommendation_monthly_usd", $"{o.Title} ({o.TeamName ?? "organisation"})", N(o.MonthlySaving), null, null, null }));
        rows.AddRange(r.Recommendations.Implemented.Select(i => new[] { "implemented_realised_monthly_usd", $"{i.Row.Title} ({i.Row.TeamName ?? "organisation"})",
            i.RealisedMonthly is { } v ? N(v) : null, null, null, null }));
        return CsvExport.Write(rows);
    }

    /// <summary>The report as plain text, for e-mail.</summary>
    public static string ToText(SpendReport r)
    {
        var text = new StringBuilder();
        static string U(decimal v) => Money.Usd(v);
        text.AppendLine(r.Title).AppendLine();
        text.AppendLine($"Total: {U(r.Total)} ({r.Trend}, {r.Change.Text})");
        text.AppendLine($"Daily average: {U(r.DailyAverage)} · {Numbers.Count(r.Requests)} requests · {Numbers.Count(r.Tokens)} tokens");
        text.AppendLine($"Expected month end: {U(r.MonthForecast)} (likely range {U(r.MonthForecastLow)}–{U(r.MonthForecastHigh)}, {r.ForecastBasis})");
        if (r.BillingLine is { } billing)
            text.AppendLine(billing);
        text.AppendLine();
        text.AppendLine("Top teams:");
        foreach (var t in r.TopTeams)
            text.AppendLine($"  {t.Name,-24} {U(t.Cost),12} {t.SharePercent,5:0.0}%");
        text.AppendLine("Model mix:");
        foreach (var m in r.ModelMix.Take(8))
            text.AppendLine($"  {m.Name,-24} {U(m.Cost),12} {m.SharePercent,5:0.0}%");
        text.AppendLine($"Anomalies: {r.Anomalies.Count}");
        foreach (var a in r.Anomalies.Take(5))
            text.AppendLine($"  {a.StartUtc:yyyy-MM-dd HH:mm} UTC {a.Team}: {U(a.ActualUsd)} vs {U(a.ExpectedUsd)} expected (+{U(a.ImpactUsd)}){(a.RootCause is null ? "" : " — " + a.RootCause)}");
        var risky = r.BudgetRisks.Where(b => b.Risk != Forecasting.BudgetRisk.Low).ToList();
        text.AppendLine($"Budgets at risk: {risky.Count}");
        foreach (var b in risky)
            text.AppendLine($"  {b.Budget}: {b.Risk} — projected {b.Format(b.Projected)} of {b.Format(b.Limit)}{(b.ExceedsOn is { } d ? $", exceeds on {d:yyyy-MM-dd}" : "")}");
        if (r.Kind == ReportKind.Weekly)
            AppendRecommendations(text, r.Recommendations);
        return text.ToString();
    }

    private static void AppendRecommendations(StringBuilder text, RecommendationDigest d)
    {
        text.AppendLine($"Open recommendations: {d.OpenCount}{(d.AcceptedCount > 0 ? $" (and {d.AcceptedCount} accepted, not yet implemented)" : "")}, {Money.Usd(d.PossibleMonthlySaving)}/month possible");
        foreach (var o in d.TopOpen)
            text.AppendLine($"  {Money.Usd(o.MonthlySaving),10}/month  {o.Title}{(o.TeamName is null ? "" : $" ({o.TeamName})")}");
        text.AppendLine($"Implemented: {d.Implemented.Count}, realised {Money.Usd(d.RealisedMonthlySaving)}/month");
        foreach (var i in d.Implemented)
            text.AppendLine($"  {(i.RealisedMonthly is { } v ? Money.Usd(v) + "/month" : "not measurable yet"),16}  {i.Row.Title} (since {i.Row.ImplementedAt:yyyy-MM-dd}, estimated {Money.Usd(i.Row.MonthlySaving)})");
    }
}
