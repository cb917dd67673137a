namespace QuotaPortal.Kernel;

/// <summary>
/// The colours of chart series. A series' colour comes from what it is (a team's id, a model's or provider's name), never from its rank
/// in today's list, so a team keeps its colour on every chart, period and filter. Every colour keeps at least 3:1 contrast against the
/// light (#ffffff, #f5f6fa) and dark (#1e1e2a, #121218) backgrounds, as WCAG 1.4.11 asks of graphical objects.
/// </summary>
public static class SeriesPalette
{
    /// <summary>Twelve hues of similar lightness (relative luminance 0.14–0.21), the widest set that meets 3:1 on both themes.</summary>
    public static readonly IReadOnlyList<string> Colors =
    [
        "#1f78c8", "#d8403f", "#2e8b2e", "#9b5fc8", "#d6399f", "#c35f00",
        "#00899a", "#7d7d00", "#a0674b", "#5866d4", "#c0306a", "#5a7d8c",
    ];

    /// <summary>The colour of the "Other" bucket: a neutral grey, so it never looks like one more team.</summary>
    public const string Other = "#7a7a7a";

    /// <summary>The forecast's colours on every burn-down (palette hues, so they keep the same contrast): its likely range, expected path,
    /// the budget line and the "projected to exceed" marker.</summary>
    public const string LikelyRange = "#5866d4", Expected = "#c35f00", Limit = "#d8403f", Exceeds = "#c0306a";

    /// <summary>Where a series would like its colour: a team's id, or a stable hash of a name (not string.GetHashCode, which changes per process).</summary>
    public static int Preferred(int id) => (int)((uint)(id - 1) % (uint)Colors.Count);

    /// <inheritdoc cref="Preferred(int)"/>
    public static int Preferred(string name)
    {
        // FNV-1a over the lower-cased name.
        var hash = 2166136261u;
        foreach (var c in name.ToLowerInvariant())
            hash = (hash ^ c) * 16777619u;
        return (int)(hash % (uint)Colors.Count);
    }

    /// <summary>
    /// Colours for the series of one chart, in the order given. Each key gets its preferred colour; when two keys of the same chart want
    /// the same one, the key that sorts first (by preference, then name) keeps it and the other takes the next free colour, so the answer
    /// depends on which keys are shown, never on their order. "Other" is always grey.
    /// </summary>
    public static string[] Assign(IReadOnlyList<(string Key, int Preferred)> keys)
    {
        var taken = new bool[Colors.Count];
        var chosen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, preferred) in keys.Where(k => k.Key != "Other").Distinct().OrderBy(k => k.Preferred).ThenBy(k => k.Key, StringComparer.Ordinal))
        {
            var index = preferred;
            for (var i = 0; i < Colors.Count && taken[index]; i++)
                index = (preferred + i + 1) % Colors.Count;
            if (!taken[index])
                taken[index] = true;
            chosen[key] = Colors[index];
        }
        return keys.Select(k => k.Key == "Other" ? Other : chosen[k.Key]).ToArray();
    }

    /// <summary>Colours for series named by what they are (providers, models, API methods).</summary>
    public static string[] ForNames(IReadOnlyList<string> names) => Assign(names.Select(n => (n, Preferred(n))).ToList());
}
