using System.Globalization;
using QuotaPortal.Anomalies;

namespace QuotaPortal.Tests.Anomalies;

/// <summary>
/// The detector over the labelled series of microsoft/cloud-monitoring-dataset (MIT, TestData/anomaly-dev), scored by episodes as that
/// folder's README says: consecutive labelled points form one window, a window counts as found once, and each alert episode outside every
/// window is one false positive. Each series stands for a team's hourly spend, scaled so its median bucket is $10.
/// </summary>
public sealed class AnomalyDatasetTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "TestData", "anomaly-dev");

    public sealed record Labelled(string Name, List<SeriesPoint> Points, List<(int Start, int End)> Windows);

    public static Labelled Load(string file)
    {
        var lines = File.ReadAllLines(Path.Combine(Folder, file)).Skip(1).Where(l => l.Length > 0).ToList();
        var raw = lines.Select(l => l.Split(',')).Select(p => (Value: double.Parse(p[1].Trim('"'), CultureInfo.InvariantCulture), Label: p[2].Trim('"') == "1")).ToList();
        var sorted = raw.Select(r => r.Value).Where(v => v > 0).Order().ToList();
        var median = sorted.Count == 0 ? 1 : sorted[sorted.Count / 2];
        var start = new DateTime(2026, 1, 5, 0, 0, 0, DateTimeKind.Utc);
        // Buckets are re-based to consecutive hours: the series are judged as hourly spend whatever their original step.
        var points = raw.Select((r, i) => new SeriesPoint(start.AddHours(i), (decimal)Math.Round(r.Value / median * 10, 6))).ToList();
        var windows = new List<(int, int)>();
        for (var i = 0; i < raw.Count; i++)
        {
            if (!raw[i].Label) continue;
            var j = i;
            while (j + 1 < raw.Count && raw[j + 1].Label) j++;
            windows.Add((i, j));
            i = j;
        }
        return new Labelled(file, points, windows);
    }

    /// <summary>(found windows, windows, false-positive episodes, episodes) with a grace of a few buckets after a window.</summary>
    public static (int Found, int Windows, int FalsePositives, int Episodes) Score(Labelled s, IReadOnlyList<AnomalyEpisode> episodes, int grace = 3)
    {
        var index = s.Points.Select((p, i) => (p.StartUtc, i)).ToDictionary(x => x.StartUtc, x => x.i);
        var found = new HashSet<int>();
        var fp = 0;
        foreach (var e in episodes)
        {
            var first = index[e.StartUtc];
            var last = first + e.Buckets - 1;
            var hit = s.Windows.FindIndex(w => first <= w.End + grace && last >= w.Start);
            if (hit >= 0) found.Add(hit); else fp++;
        }
        return (found.Count, s.Windows.Count, fp, episodes.Count);
    }

    private static readonly string[] Files = ["api-01.csv", "ingress-01.csv", "ingress-02.csv", "ingress-03.csv", "purchase-01.csv", "purchase-02.csv",
        "purchase-03.csv", "purchase-04.csv", "purchase-05.csv", "purchase-06.csv"];

    [Fact]
    public void Detector_reaches_its_precision_and_recall_floors_on_the_labelled_series()
    {
        var output = TestContext.Current.TestOutputHelper!;
        int found = 0, windows = 0, fp = 0, episodes = 0;
        foreach (var file in Files)
        {
            var s = Load(file);
            var detected = AnomalyDetector.Detect(s.Points, Granularity.Hour, AnomalySettings.Default(Granularity.Hour));
            var r = Score(s, detected);
            output.WriteLine($"{file,-16} windows {r.Windows,3}  found {r.Found,3}  episodes {r.Episodes,3}  false positives {r.FalsePositives,3}");
            found += r.Found; windows += r.Windows; fp += r.FalsePositives; episodes += r.Episodes;
            if (Environment.GetEnvironmentVariable("QP_ANOMALY_DEBUG") == file)
                foreach (var e in detected)
                    output.WriteLine($"   {(e.StartUtc - s.Points[0].StartUtc).TotalHours,6} x{e.Buckets} actual {e.Actual:0.0} expected {e.Expected:0.0} dev {e.MaxDeviation:0.0}");
        }
        var precision = episodes == 0 ? 1 : (double)(episodes - fp) / episodes;
        var recall = (double)found / windows;
        output.WriteLine($"overall: precision {precision:P0} ({episodes - fp}/{episodes}), recall {recall:P0} ({found}/{windows})");
        // Measured with the defaults: precision 73 % (30/41), recall 66 % (27/41); two of the missed windows are ingress dips, which a
        // spend detector deliberately does not alert on.
        Assert.True(precision >= 0.70, $"precision {precision:P0}");
        Assert.True(recall >= 0.60, $"recall {recall:P0}");
    }

    [Fact]
    public void Daily_detection_on_api_01_summed_per_day_finds_the_big_days_without_noise()
    {
        var hourly = Load("api-01.csv");
        var days = hourly.Points.Select((p, i) => (p, i)).GroupBy(x => x.i / 24)
            .Select(g => (Point: new SeriesPoint(new DateTime(2026, 1, 5, 0, 0, 0, DateTimeKind.Utc).AddDays(g.Key), g.Sum(x => x.p.Value)),
                Label: hourly.Windows.Any(w => w.Start / 24 <= g.Key && g.Key <= w.End / 24)))
            .ToList();
        var windows = new List<(int, int)>();
        for (var i = 0; i < days.Count; i++)
            if (days[i].Label)
            {
                var j = i;
                while (j + 1 < days.Count && days[j + 1].Label) j++;
                windows.Add((i, j));
                i = j;
            }
        var series = new Labelled("api-01 daily", days.Select(d => d.Point).ToList(), windows);
        var detected = AnomalyDetector.Detect(series.Points, Granularity.Day, AnomalySettings.Default(Granularity.Day));
        var r = Score(series, detected, grace: 0);
        TestContext.Current.TestOutputHelper!.WriteLine($"api-01 daily: windows {r.Windows}, found {r.Found}, episodes {r.Episodes}, false positives {r.FalsePositives}");
        // Most labelled hours are short bursts that barely move a day's total; the daily series should stay quiet rather than guess.
        Assert.True(r.FalsePositives <= 1, $"{r.FalsePositives} false positives");
        Assert.True(r.Found >= 3, $"found {r.Found}");
    }
}
