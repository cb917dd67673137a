using System.ComponentModel.DataAnnotations;

namespace QuotaPortal.Kernel;

public sealed class PortalOptions : IValidatableObject
{
    public const string Section = "Portal";

    /// <summary>IANA zone used for budgets and for viewers who have not picked their own.</summary>
    [Required]
    public string DefaultTimeZone { get; set; } = "UTC";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(DefaultTimeZone, out _))
            yield return new ValidationResult($"Portal:DefaultTimeZone '{DefaultTimeZone}' is not a known IANA time zone.", [nameof(DefaultTimeZone)]);
    }
}
