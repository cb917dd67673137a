namespace QuotaPortal.Data;

/// <summary>Settings an admin changes at run time (notification channels, defaults); start-up settings live in appsettings.json.</summary>
public class AppSetting
{
    public required string Key { get; set; }
    public required string Value { get; set; }
    public DateTime UpdatedAt { get; set; }
    public string? UpdatedBy { get; set; }
}
