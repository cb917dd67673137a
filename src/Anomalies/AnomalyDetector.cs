namespace QuotaPortal.Anomalies;

public enum Granularity { Hour, Day }

/// <summary>One bucket of a spend series. <paramref name="Expected"/>: an admin marked it planned, so it stays out of baselines.</summary>
public sealed record SeriesPoint(DateTime StartUtc, decimal Value, bool Expected = false);

/// <summary>Detector sensitivity. Every gate must pass: deviation, $ impact and % change.</summary>
public sealed class AnomalySettings
{
    /// <summary>Robust deviation (residual ÷ 1.4826·MAD) a bucket must reach.</summary>
    public double MinDeviation { get; set; }
    /// <summary>Actual − expected in USD a bucket must reach: small teams' noise is not worth an alert.</summary>
    public decimal MinImpactUsd { get; set; }
    /// <summary>(Actual − expected) ÷ expected in percent a bucket must reach.</summary>
    public double MinChangePercent { get; set; }
    /// <summary>Buckets after an episode ends in which no new episode starts.</summary>
    public int CooldownBuckets { get; set; }
    /// <summary>Days of history before the detector judges (it says "learning" before).</summary>
    public int MinHistoryDays { get; set; }
    /// <summary>Weeks of same-slot history the baseline reads.</summary>
    public int BaselineWeeks { get; set; } = 4;

    /// <summary>The defaults with a team's own $ gate (per hour; a day's is four times it) and % gate, where the team set them.</summary>
    public static AnomalySettings ForTeam(Granularity g, decimal? minImpactUsdPerHour, double? minChangePercent)
    {
        var s = Default(g);
        if (minImpactUsdPerHour is { } impact)
            s.MinImpactUsd = g == Granularity.Hour ? impact : impact * 4;
        if (minChangePercent is { } change)
            s.MinChangePercent = change;
        return s;
    }

    public static AnomalySettings Default(Granularity g) => g == Granularity.Hour
        ? new AnomalySettings { MinDeviation = 5.0, MinImpactUsd = 5m, MinChangePercent = 50, CooldownBuckets = 6, MinHistoryDays = 3 }
        : new AnomalySettings { MinDeviation = 4.0, MinImpactUsd = 20m, MinChangePercent = 30, CooldownBuckets = 2, MinHistoryDays = 14 };
}

/// <param name="Deviation">Robust standard deviations above (positive) or below (negative) the expected value.</param>
public sealed record BucketScore(DateTime StartUtc, decimal Actual, decimal Expected, double Deviation, bool Anomalous, bool Learning);

/// <param name="EndUtc">End of the last anomalous bucket (exclusive).</param>
/// <param name="Open">The series' last bucket is part of the episode.</param>
public sealed record AnomalyEpisode(DateTime StartUtc, DateTime EndUtc, decimal Actual, decimal Expected, double MaxDeviation, decimal ImpactUsd,
    double ChangePercent, int Buckets, bool Open);

/// <summary>
/// Seasonal, robust, causal anomaly detection for spend series.
/// <para>Expected value of a bucket: the median of the same slot (hour-of-week for hourly, day-of-week for daily) over the last
/// <see cref="AnomalySettings.BaselineWeeks"/> weeks, times a level factor (last 7 days against the weeks before, clamped 0.5–2) so a
/// growing team is not flagged for growing. Scale: 1.4826 × the median absolute residual of the previous two weeks (hourly) or four
/// weeks (daily), floored at 5 % of the expected value so a perfectly flat series does not alarm on pennies.</para>
/// <para>Only rises alert: a drop (a holiday, a quiet weekend) is scored with a negative deviation but never anomalous.</para>
/// <para>Every bucket is judged from earlier buckets only, so running over history finds what a live detector would have found.</para>
/// </summary>
public static class AnomalyDetector
{
    public static IReadOnlyList<BucketScore> ScoreAll(IReadOnlyList<SeriesPoint> series, Granularity g, AnomalySettings s)
    {
        var period = g == Granularity.Hour ? 168 : 7;          // buckets per week
        var perDay = g == Granularity.Hour ? 24 : 1;
        var minHistory = s.MinHistoryDays * perDay;
        var scaleWindow = g == Granularity.Hour ? 14 * 24 : 28;
        var rescaleEvery = g == Granularity.Hour ? 24 : 7;
        var n = series.Count;
        var (values, usable, sum, cnt) = Prepare(series);
        // Buckets judged anomalous stay out of the scale and the "recent high": one spike must not hide the next.
        var normal = (bool[])usable.Clone();
        var residuals = new double[n];
        var hasResidual = new bool[n];
        var scores = new List<BucketScore>(n);
        var slot = new List<double>(s.BaselineWeeks);
        var scratch = new double[scaleWindow];
        double scale = 0, high = 0;
        var lastScaled = -rescaleEvery;
        for (var i = 0; i < n; i++)
        {
            if (i < minHistory)
            {
                scores.Add(new BucketScore(series[i].StartUtc, series[i].Value, series[i].Value, 0, false, Learning: true));
                continue;
            }
            var expected = Expected(values, usable, sum, cnt, i, period, perDay, s.BaselineWeeks, slot);
            residuals[i] = values[i] - expected;
            hasResidual[i] = usable[i];
            if (i - lastScaled >= rescaleEvery || scale == 0)
            {
                scale = Scale(residuals, hasResidual, i, scaleWindow, scratch);
                high = High(values, normal, i, scaleWindow, scratch);
                lastScaled = i;
            }
            var effective = Math.Max(scale, Math.Max(0.05 * expected, 1e-6));
            var deviation = (values[i] - expected) / effective;
            var impact = values[i] - expected;
            var change = expected <= 0 ? double.PositiveInfinity : impact / expected * 100;
            // A bucket must also top what the series itself reached lately (its 99th percentile): a sparse series whose every blip is
            // "infinitely" above an expected zero stays quiet unless the blip is bigger than its usual ones.
            var anomalous = usable[i] && deviation >= s.MinDeviation && impact >= (double)s.MinImpactUsd && change >= s.MinChangePercent
                && values[i] > high;
            if (anomalous)
            {
                normal[i] = false;
                hasResidual[i] = false;
            }
            scores.Add(new BucketScore(series[i].StartUtc, series[i].Value, (decimal)Math.Round(expected, 6), Math.Round(deviation, 2), anomalous, false));
        }
        return scores;
    }

    /// <summary>Values as doubles, which buckets may be learnt from (not marked expected), and prefix sums of usable values and counts,
    /// which make the level factor O(1) per bucket.</summary>
    private static (double[] Values, bool[] Usable, double[] Sum, int[] Count) Prepare(IReadOnlyList<SeriesPoint> series)
    {
        var n = series.Count;
        var values = new double[n];
        var usable = new bool[n];
        var sum = new double[n + 1];
        var cnt = new int[n + 1];
        for (var i = 0; i < n; i++)
        {
            values[i] = (double)series[i].Value;
            usable[i] = !series[i].Expected;
            sum[i + 1] = sum[i] + (usable[i] ? values[i] : 0);
            cnt[i + 1] = cnt[i] + (usable[i] ? 1 : 0);
        }
        return (values, usable, sum, cnt);
    }

    /// <summary>Causal episodes: consecutive anomalous buckets form one; a cooldown after each keeps a flapping series to one alert.</summary>
    public static IReadOnlyList<AnomalyEpisode> Detect(IReadOnlyList<SeriesPoint> series, Granularity g, AnomalySettings s)
    {
        var step = g == Granularity.Hour ? TimeSpan.FromHours(1) : TimeSpan.FromDays(1);
        var scores = ScoreAll(series, g, s);
        var episodes = new List<AnomalyEpisode>();
        var cooldownUntil = -1;
        for (var i = 0; i < scores.Count; i++)
        {
            if (!scores[i].Anomalous || i <= cooldownUntil)
                continue;
            var j = i;
            while (j + 1 < scores.Count && scores[j + 1].Anomalous)
                j++;
            var span = scores.Skip(i).Take(j - i + 1).ToList();
            var actual = span.Sum(x => x.Actual);
            var expected = span.Sum(x => x.Expected);
            episodes.Add(new AnomalyEpisode(span[0].StartUtc, span[^1].StartUtc + step, actual, expected, span.Max(x => x.Deviation),
                actual - expected, expected == 0 ? 100 : (double)((actual - expected) / expected * 100), span.Count, Open: j == scores.Count - 1));
            cooldownUntil = j + s.CooldownBuckets;
            i = j;
        }
        return episodes;
    }

    /// <summary>
    /// A sparse set of bucket values as a gap-free series: a missing bucket is $0 of spend. It starts at the first bucket with spend
    /// (a team that did not exist yet has no "zero" history) or at <paramref name="from"/>, whichever is later.
    /// </summary>
    /// <param name="planned">Whether the bucket starting then, of that length, was marked expected/planned.</param>
    public static List<SeriesPoint> Densify(IReadOnlyDictionary<DateTime, decimal> values, DateTime from, DateTime toExclusive, Granularity g,
        Func<DateTime, TimeSpan, bool>? planned = null)
    {
        var step = g == Granularity.Hour ? TimeSpan.FromHours(1) : TimeSpan.FromDays(1);
        var first = values.Count == 0 ? from : values.Keys.Min();
        var start = first > from ? first : from;
        var points = new List<SeriesPoint>(Math.Max(0, (int)((toExclusive - start) / step)) + 1);
        for (var t = start; t < toExclusive; t += step)
            points.Add(new SeriesPoint(t, values.GetValueOrDefault(t), planned?.Invoke(t, step) ?? false));
        return points;
    }

    /// <summary>The newest bucket's score, judged from the history before it.</summary>
    public static BucketScore Score(IReadOnlyList<SeriesPoint> history, SeriesPoint point, Granularity g, AnomalySettings s) =>
        ScoreAll([.. history, point], g, s)[^1];

    private static double Expected(double[] values, bool[] usable, double[] sum, int[] cnt, int i, int period, int perDay, int weeks, List<double> slot)
    {
        // Under two weeks of history: the same hour of the previous days (hourly) or the previous week's days (daily).
        if (i < 2 * period)
        {
            slot.Clear();
            var daySlot = perDay > 1 ? perDay : 1;
            for (var k = 1; k <= 7 && i - k * daySlot >= 0; k++)
                if (usable[i - k * daySlot])
                    slot.Add(values[i - k * daySlot]);
            return slot.Count == 0 ? values[i - 1] : Median(slot);
        }
        slot.Clear();
        for (var k = 1; k <= weeks && i - k * period >= 0; k++)
            if (usable[i - k * period])
                slot.Add(values[i - k * period]);
        if (slot.Count == 0)
            return values[i - 1];
        var baseline = Median(slot);
        // Level: the last week against the weeks the slots came from.
        var weeksBack = Math.Min(weeks, i / period);
        var recent = sum[i] - sum[i - period];
        var recentN = cnt[i] - cnt[i - period];
        var older = sum[i - period] - sum[i - weeksBack * period];
        var olderN = cnt[i - period] - cnt[i - weeksBack * period];
        if (recentN > 0 && olderN > 0 && older > 0)
        {
            var level = recent / recentN / (older / olderN);
            baseline *= Math.Clamp(level, 0.5, 2.0);
        }
        return baseline;
    }

    // Scale and High run for every bucket while a sparse series' scale is 0: order statistics by selection (O(n)) in one scratch array,
    // not a sorted copy (O(n log n)) per bucket. The values picked are the same as the sorted list's.
    private static double Scale(double[] residuals, bool[] has, int i, int window, double[] scratch)
    {
        var n = 0;
        for (var j = Math.Max(0, i - window); j < i; j++)
            if (has[j])
                scratch[n++] = residuals[j];
        if (n < 3)
            return 0;
        var xs = scratch.AsSpan(0, n);
        var median = Median(xs);
        for (var k = 0; k < n; k++)
            xs[k] = Math.Abs(xs[k] - median);
        var mad = 1.4826 * Select(xs, n / 2);
        // Sparse, bursty series (mostly zeros) have a MAD of 0; the 90th percentile of the absolute residuals keeps their scale honest.
        var p90 = Select(xs, (int)(n * 0.9)) / 1.645;
        return Math.Max(mad, p90);
    }

    private static double High(double[] values, bool[] usable, int i, int window, double[] scratch)
    {
        var n = 0;
        var max = double.MinValue;
        for (var j = Math.Max(0, i - window); j < i; j++)
            if (usable[j])
            {
                scratch[n++] = values[j];
                max = Math.Max(max, values[j]);
            }
        if (n == 0)
            return 0;
        var k = (int)Math.Min(n - 1, n * HighQuantile);
        return k == n - 1 ? max : Select(scratch.AsSpan(0, n), k);
    }

    internal static double HighQuantile = 1.0;

    private static double Median(Span<double> xs)
    {
        var n = xs.Length;
        var upper = Select(xs, n / 2);
        if (n % 2 == 1)
            return upper;
        // After the selection everything before n/2 is at most the upper middle: the lower middle is their maximum.
        var lower = double.MinValue;
        for (var k = 0; k < n / 2; k++)
            lower = Math.Max(lower, xs[k]);
        return (lower + upper) / 2;
    }

    /// <summary>The k-th smallest value (what a sort would put at k), rearranging the span so smaller values come before it (Hoare's selection).</summary>
    private static double Select(Span<double> xs, int k)
    {
        int lo = 0, hi = xs.Length - 1;
        while (lo < hi)
        {
            var pivot = MedianOfThree(xs[lo], xs[lo + (hi - lo) / 2], xs[hi]);
            int i = lo, j = hi;
            while (i <= j)
            {
                while (xs[i] < pivot) i++;
                while (xs[j] > pivot) j--;
                if (i <= j)
                {
                    (xs[i], xs[j]) = (xs[j], xs[i]);
                    i++;
                    j--;
                }
            }
            if (k <= j) hi = j;
            else if (k >= i) lo = i;
            else return xs[k];
        }
        return xs[k];
    }

    private static double MedianOfThree(double a, double b, double c) => Math.Max(Math.Min(a, b), Math.Min(Math.Max(a, b), c));

    private static double Median(List<double> xs)
    {
        xs.Sort();
        var n = xs.Count;
        return n % 2 == 1 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
    }
}
