using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Alerts;
using QuotaPortal.ApiKeys;
using QuotaPortal.Audit;
using QuotaPortal.Billing;
using QuotaPortal.Budgets;
using QuotaPortal.Cluster;
using QuotaPortal.Pricing;
using QuotaPortal.Recommendations;
using QuotaPortal.Teams;
using QuotaPortal.Usage;
using QuotaPortal.Outcomes;

namespace QuotaPortal.Data;

/// <summary>The portal's database. This type carries the SQLite migrations; <see cref="PostgresQuotaDbContext"/> carries PostgreSQL's.</summary>
public class QuotaDbContext : IdentityDbContext<ApplicationUser>, IDataProtectionKeyContext
{
    public QuotaDbContext(DbContextOptions<QuotaDbContext> options) : base(options) { }

    /// <summary>For a provider's subclass, whose migrations EF finds by its own type.</summary>
    protected QuotaDbContext(DbContextOptions options) : base(options) { }

    public DbSet<Department> Departments => Set<Department>();
    public DbSet<Team> Teams => Set<Team>();
    public DbSet<UsageRecord> UsageRecords => Set<UsageRecord>();
    public DbSet<UsageHourly> UsageHourly => Set<UsageHourly>();
    public DbSet<UsageDaily> UsageDaily => Set<UsageDaily>();
    public DbSet<IngestBatch> IngestBatches => Set<IngestBatch>();
    public DbSet<Outcome> Outcomes => Set<Outcome>();
    public DbSet<ModelPrice> ModelPrices => Set<ModelPrice>();
    public DbSet<Budget> Budgets => Set<Budget>();
    public DbSet<Alert> Alerts => Set<Alert>();
    public DbSet<NotificationOutbox> NotificationOutbox => Set<NotificationOutbox>();
    public DbSet<Recommendation> Recommendations => Set<Recommendation>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<Users.UserTeamLimit> UserTeamLimits => Set<Users.UserTeamLimit>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<AppSetting> AppSettings => Set<AppSetting>();
    public DbSet<QuotaPortal.Anomalies.Anomaly> Anomalies => Set<QuotaPortal.Anomalies.Anomaly>();
    public DbSet<Lease> Leases => Set<Lease>();
    public DbSet<ChangeVersion> ChangeVersions => Set<ChangeVersion>();
    public DbSet<BillingConnection> BillingConnections => Set<BillingConnection>();
    public DbSet<BillingCostLine> BillingCostLines => Set<BillingCostLine>();
    public DbSet<BillingUsageLine> BillingUsageLines => Set<BillingUsageLine>();
    public DbSet<BillingProject> BillingProjects => Set<BillingProject>();
    /// <summary>The Data Protection key ring, shared by every instance (see <see cref="KeyRingImport"/>).</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void ConfigureConventions(ModelConfigurationBuilder builder)
    {
        // Enums read better in the database and survive reordering.
        builder.Properties<Enum>().HaveConversion<string>().HaveMaxLength(32);
        // Everything stored is UTC: SQLite has no time zone, and PostgreSQL's timestamptz accepts only UTC DateTimes.
        builder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
    }

    protected override void OnModelCreating(ModelBuilder b)
    {
        base.OnModelCreating(b);
        // Each feature configures its own entities beside them (IEntityTypeConfiguration<T>).
        b.ApplyConfigurationsFromAssembly(typeof(QuotaDbContext).Assembly);
    }
}

internal sealed class UtcDateTimeConverter() : Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<DateTime, DateTime>(
    v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
    v => DateTime.SpecifyKind(v, DateTimeKind.Utc));

/// <summary>The same model on PostgreSQL, with its own migrations (src/Data/Migrations/Postgres).</summary>
public sealed class PostgresQuotaDbContext(DbContextOptions<PostgresQuotaDbContext> options) : QuotaDbContext(options);
