using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Alerts;
using QuotaPortal.ApiKeys;
using QuotaPortal.Audit;
using QuotaPortal.Budgets;
using QuotaPortal.Pricing;
using QuotaPortal.Recommendations;
using QuotaPortal.Teams;
using QuotaPortal.Usage;
using QuotaPortal.Outcomes;

namespace QuotaPortal.Data;

public class QuotaDbContext(DbContextOptions<QuotaDbContext> options) : IdentityDbContext<ApplicationUser>(options)
{
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

    protected override void ConfigureConventions(ModelConfigurationBuilder builder)
    {
        // Enums read better in the database and survive reordering.
        builder.Properties<Enum>().HaveConversion<string>().HaveMaxLength(32);
        // SQLite has no time zone: everything stored is UTC, so say so when reading it back.
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
