using System.ComponentModel.DataAnnotations;

namespace QuotaPortal.Data;

public sealed class DatabaseOptions
{
    public const string Section = "Database";

    /// <summary>Only SQLite ships today; the setting exists so a second provider can be added without a config break.</summary>
    [RegularExpression("^(?i)sqlite$", ErrorMessage = "Database:Provider must be 'Sqlite'.")]
    public string Provider { get; set; } = "Sqlite";

    /// <summary>Apply pending migrations when the portal starts (the CLI `migrate` command does it on demand).</summary>
    public bool MigrateOnStartup { get; set; } = true;
}

public sealed class BootstrapOptions
{
    public const string Section = "Bootstrap";

    /// <summary>For automated installs: creates this admin on start-up when the database has no users yet.</summary>
    public string? AdminEmail { get; set; }
    public string? AdminPassword { get; set; }
}
