using System.Globalization;
using QuotaPortal.Forecasting;
using QuotaPortal.Demo;
using QuotaPortal.Pricing;
using QuotaPortal.Usage;
using QuotaPortal.Kernel;

namespace QuotaPortal.Bench;

/// <param name="Coverage80">Share of months whose actual total fell inside the forecast's 80 % interval (should be about 80 %).</param>
public sealed record AccuracyRow(string Dataset, int OriginDay, double MapeHoltWinters, double MapeRunRate, int Months, double Coverage80);

/// <summary>
/// How good is the month-end forecast? For every complete month of a daily series, forecast the month's total at the end of day
/// 5, 10 and 20 (history = every earlier day) with <see cref="SpendForecaster"/> and with the plain run-rate (spend so far ÷ days
/// elapsed × days in month), and report the mean absolute percentage error of each against the actual total, and how often the actual
/// total fell inside the forecast's 80 % interval (a calibrated interval covers about 80 % of months).
/// </summary>
public static class ForecastAccuracy
{
    public static readonly int[] Origins = [5, 10, 20];

    public static IReadOnlyList<AccuracyRow> Evaluate(string dataset, IReadOnlyDictionary<DateOnly, decimal> daily)
    {
        var first = daily.Keys.Min();
        var last = daily.Keys.Max();
        var rows = new List<AccuracyRow>();
        foreach (var origin in Origins)
        {
            var hw = new List<double>();
            var rr = new List<double>();
            var covered = 0;
            for (var month = new DateOnly(first.Year, first.Month, 1); month.AddMonths(1).AddDays(-1) <= last; month = month.AddMonths(1))
            {
                if (month < first)
                    continue;
                var days = DateTime.DaysInMonth(month.Year, month.Month);
                var actual = Enumerable.Range(0, days).Sum(i => daily.GetValueOrDefault(month.AddDays(i)));
                if (actual == 0)
                    continue;
                // Forecast made at the end of day `origin`: "today" is the next day with nothing spent yet.
                var today = month.AddDays(origin);
                var history = new List<decimal>();
                for (var d = first; d < today; d = d.AddDays(1))
                    history.Add(daily.GetValueOrDefault(d));
                var f = SpendForecaster.Forecast(history, 0m, today, month, month.AddDays(days - 1));
                var spent = Enumerable.Range(0, origin).Sum(i => daily.GetValueOrDefault(month.AddDays(i)));
                hw.Add((double)Math.Abs((f.Projected - actual) / actual));
                if (f.Low <= actual && actual <= f.High)
                    covered++;
                rr.Add((double)Math.Abs((SpendForecaster.RunRate(spent, origin, days) - actual) / actual));
            }
            if (hw.Count > 0)
                rows.Add(new AccuracyRow(dataset, origin, hw.Average() * 100, rr.Average() * 100, hw.Count, covered * 100.0 / hw.Count));
        }
        return rows;
    }

    /// <summary>The demo generator's overall daily spend (a year of it, so there are months to score).</summary>
    public static Dictionary<DateOnly, decimal> DemoDaily(int days, DateTime endUtc)
    {
        var spec = DemoSpec.Default with { Days = days };
        var ids = DemoDataGenerator.Teams(spec).Select((t, i) => (t.Slug, Id: i + 1)).ToDictionary(x => x.Slug, x => x.Id);
        var prices = DefaultPrices.Create(endUtc).ToList();
        var daily = new Dictionary<DateOnly, decimal>();
        foreach (var r in DemoDataGenerator.Generate(spec, ids, prices, endUtc))
        {
            var day = DateOnly.FromDateTime(r.Timestamp);
            daily[day] = daily.GetValueOrDefault(day) + Money.FromNanos(r.CostNanos);
        }
        return daily;
    }

    /// <summary>An hourly "TimeStamp,Value,Label" CSV (the anomaly-dev format) summed per UTC day.</summary>
    public static Dictionary<DateOnly, decimal> CsvDaily(string path)
    {
        var daily = new Dictionary<DateOnly, decimal>();
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var parts = line.Split(',');
            if (parts.Length < 2)
                continue;
            var day = DateOnly.FromDateTime(DateTime.Parse(parts[0].Trim('"'), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal));
            daily[day] = daily.GetValueOrDefault(day) + decimal.Parse(parts[1].Trim('"'), NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        return daily;
    }

    public static int Run(string? csvPath, int demoDays, TextWriter output)
    {
        var rows = new List<AccuracyRow>();
        rows.AddRange(Evaluate($"demo ({demoDays} days, 8 teams)", DemoDaily(demoDays, new DateTime(2026, 11, 23, 0, 0, 0, DateTimeKind.Utc))));
        if (csvPath is not null)
        {
            if (!File.Exists(csvPath))
            {
                output.WriteLine($"error: {csvPath} not found");
                return 1;
            }
            rows.AddRange(Evaluate(Path.GetFileName(csvPath) + " per day", CsvDaily(csvPath)));
        }
        output.WriteLine("Month-end forecast accuracy (MAPE, lower is better)");
        output.WriteLine($"{"dataset",-30} {"made on day",11} {"Holt-Winters",13} {"run-rate",10} {"ratio",7} {"months",7} {"80% covered",12}");
        foreach (var r in rows)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Dataset,-30} {r.OriginDay,11} {r.MapeHoltWinters,12:0.0}% {r.MapeRunRate,9:0.0}% {r.MapeHoltWinters / r.MapeRunRate,7:0.00} {r.Months,7} {r.Coverage80,11:0}%"));
        return 0;
    }
}
