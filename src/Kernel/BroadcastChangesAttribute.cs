namespace QuotaPortal.Kernel;

/// <summary>
/// Rows of this entity feed in-memory views on every portal instance: a SaveChanges that adds, changes or deletes one also moves the
/// change version <see cref="Name"/> in the same transaction, and other instances reload what they keep of it within seconds.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class BroadcastChangesAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}

/// <summary>The change versions the views listen to.</summary>
public static class ChangeNames
{
    public const string Prices = "prices";
    public const string Budgets = "budgets";
    public const string Teams = "teams";
    public const string ApiKeys = "apikeys";
    /// <summary>Usage written by another instance (any day).</summary>
    public const string Usage = "usage";
    /// <summary>Prefix of a closed day's version ("usage-day:2026-11-20"): late, backfilled or re-priced usage of that day.</summary>
    public const string UsageDayPrefix = "usage-day:";
    /// <summary>Stored usage rewritten over a range too long to name day by day (a recompute of everything, demo data).</summary>
    public const string UsageAll = "usage-all";
}
