using System.ComponentModel.DataAnnotations;

namespace QuotaPortal.Data;

public sealed class DatabaseOptions
{
    public const string Section = "Database";

    /// <summary>Sqlite (the embedded default: one file, one process) or Postgres (a server, several portal instances).</summary>
    [RegularExpression("^(?i)(sqlite|postgres|postgresql)$", ErrorMessage = "Database:Provider must be 'Sqlite' or 'Postgres'.")]
    public string Provider { get; set; } = "Sqlite";

    /// <summary>Apply pending migrations when the portal starts (the CLI `migrate` command does it on demand).</summary>
    public bool MigrateOnStartup { get; set; } = true;

    public DatabaseProvider ProviderKind => Parse(Provider);

    /// <summary>Read before options validation runs (the provider decides the registrations), so an unknown name fails here too.</summary>
    public static DatabaseProvider Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "sqlite" => DatabaseProvider.Sqlite,
        "postgres" or "postgresql" => DatabaseProvider.Postgres,
        _ => throw new InvalidOperationException($"Database:Provider must be 'Sqlite' or 'Postgres', not '{value}'."),
    };
}

public sealed class BootstrapOptions
{
    public const string Section = "Bootstrap";

    /// <summary>For automated installs: creates this admin on start-up when the database has no users yet.</summary>
    public string? AdminEmail { get; set; }
    public string? AdminPassword { get; set; }
}
