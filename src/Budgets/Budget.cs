namespace QuotaPortal.Budgets;

public enum BudgetMetric { Cost, Tokens, Requests }

public enum BudgetPeriod { Daily, Weekly, Monthly, Quarterly, Yearly, Rolling }

public enum EnforcementMode { AlertOnly, Warn, Block }

/// <summary>
/// A limit over a scope. Every scope field left null means "any", so all null is the global budget and
/// TeamId + Model is a team-on-one-model budget; a department budget pools its teams.
/// </summary>
[QuotaPortal.Kernel.BroadcastChanges(QuotaPortal.Kernel.ChangeNames.Budgets)]
public class Budget
{
    public int Id { get; set; }
    public required string Name { get; set; }
    public int? DepartmentId { get; set; }
    public int? TeamId { get; set; }
    public string? Provider { get; set; }
    public string? Model { get; set; }
    public string? AgentId { get; set; }
    public BudgetMetric Metric { get; set; }
    public decimal Limit { get; set; }
    public BudgetPeriod Period { get; set; }
    /// <summary>Window length for <see cref="BudgetPeriod.Rolling"/>.</summary>
    public int? RollingWindowMinutes { get; set; }
    /// <summary>IANA zone in which calendar periods start.</summary>
    public string TimeZone { get; set; } = "UTC";
    /// <summary>Threshold percentages, ascending, comma-separated (e.g. "80,95,100").</summary>
    public string Thresholds { get; set; } = "80,95,100";
    /// <summary>Raise a forecast alert when projected spend reaches this percent of the limit.</summary>
    public decimal? ForecastThresholdPercent { get; set; }
    public EnforcementMode Enforcement { get; set; }
    public string? FallbackModel { get; set; }
    public bool IsActive { get; set; } = true;
    /// <summary>Created from the "default daily budget per team" setting rather than by hand.</summary>
    public bool IsDefault { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}
