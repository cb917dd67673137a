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

        b.Entity<Department>(e =>
        {
            e.Property(x => x.Name).HasMaxLength(100);
            e.Property(x => x.Slug).HasMaxLength(64);
            e.HasIndex(x => x.Slug).IsUnique();
        });

        b.Entity<Team>(e =>
        {
            e.Property(x => x.Name).HasMaxLength(100);
            e.Property(x => x.Slug).HasMaxLength(64);
            e.Property(x => x.OwnerEmail).HasMaxLength(256);
            e.HasIndex(x => x.Slug).IsUnique();
            e.HasOne(x => x.Department).WithMany(d => d.Teams).HasForeignKey(x => x.DepartmentId).OnDelete(DeleteBehavior.SetNull);
        });

        b.Entity<UsageRecord>(e =>
        {
            e.Property(x => x.Provider).HasMaxLength(64);
            e.Property(x => x.Model).HasMaxLength(128);
            e.Property(x => x.ApiMethod).HasMaxLength(64);
            e.Property(x => x.Currency).HasMaxLength(3);
            e.HasOne<Team>().WithMany().HasForeignKey(x => x.TeamId).OnDelete(DeleteBehavior.Restrict);
            e.HasIndex(x => new { x.TeamId, x.Timestamp });
            e.HasIndex(x => new { x.Model, x.Timestamp });
            e.HasIndex(x => x.Timestamp);
            // The exactly-once guarantee: a key is claimed by the insert itself.
            e.HasIndex(x => new { x.TeamId, x.IdempotencyKey }).IsUnique().HasFilter("\"IdempotencyKey\" IS NOT NULL");
        });

        b.Entity<QuotaPortal.Anomalies.Anomaly>(e =>
        {
            e.Property(x => x.Model).HasMaxLength(128);
            e.Property(x => x.Granularity).HasMaxLength(8);
            e.Property(x => x.RootCause).HasMaxLength(400);
            e.HasOne<Team>().WithMany().HasForeignKey(x => x.TeamId).OnDelete(DeleteBehavior.Cascade);
            // One row per episode: replaying history or a second tick finds the same start and updates it.
            e.HasIndex(x => new { x.TeamId, x.Model, x.Granularity, x.StartUtc }).IsUnique();
            e.HasIndex(x => x.StartUtc);
        });

        ConfigureRollup<UsageHourly>(b, "UsageHourly");
        ConfigureRollup<UsageDaily>(b, "UsageDaily");

        b.Entity<IngestBatch>(e =>
        {
            e.Property(x => x.Scope).HasMaxLength(300);
            e.Property(x => x.BodyHash).HasMaxLength(64);
            e.HasIndex(x => new { x.Scope, x.IdempotencyKey }).IsUnique();
            e.HasIndex(x => x.CreatedAt);
        });

        b.Entity<Outcome>(e =>
        {
            e.HasIndex(x => new { x.TeamId, x.Timestamp });
        });

        b.Entity<ModelPrice>(e =>
        {
            e.Property(x => x.Provider).HasMaxLength(64);
            e.Property(x => x.Model).HasMaxLength(128);
            e.HasIndex(x => new { x.Provider, x.Model, x.EffectiveFrom }).IsUnique();
        });

        b.Entity<Budget>(e =>
        {
            e.Property(x => x.Name).HasMaxLength(120);
            e.HasIndex(x => x.TeamId);
            e.HasIndex(x => x.DepartmentId);
            e.HasOne<Team>().WithMany().HasForeignKey(x => x.TeamId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Department>().WithMany().HasForeignKey(x => x.DepartmentId).OnDelete(DeleteBehavior.Cascade);
        });

        b.Entity<Alert>(e =>
        {
            e.Property(x => x.DedupKey).HasMaxLength(200);
            e.HasIndex(x => x.DedupKey).IsUnique();
            e.HasIndex(x => new { x.State, x.LastRaisedAt });
            e.HasIndex(x => new { x.TeamId, x.FirstRaisedAt });
            e.HasIndex(x => x.BudgetId);
        });

        b.Entity<NotificationOutbox>(e =>
        {
            e.HasIndex(x => new { x.Status, x.NextAttemptAt });
            e.HasIndex(x => x.AlertId);
        });

        b.Entity<Recommendation>(e =>
        {
            e.HasIndex(x => new { x.State, x.TeamId });
        });

        b.Entity<ApiKey>(e =>
        {
            e.Property(x => x.Prefix).HasMaxLength(32);
            e.HasIndex(x => x.Prefix).IsUnique();
            // A plain indexed column, not a foreign key: SQLite would rebuild the table to add one, and teams are archived, never deleted.
            e.HasIndex(x => x.TeamId);
        });

        b.Entity<Users.UserTeamLimit>(e =>
        {
            e.HasIndex(x => x.UserId);
            e.HasOne<ApplicationUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Team>().WithMany().HasForeignKey(x => x.TeamId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Department>().WithMany().HasForeignKey(x => x.DepartmentId).OnDelete(DeleteBehavior.Cascade);
        });

        b.Entity<AuditEntry>(e =>
        {
            e.HasIndex(x => x.At);
            e.HasIndex(x => new { x.EntityType, x.EntityId });
        });

        b.Entity<AppSetting>(e =>
        {
            e.HasKey(x => x.Key);
        });
    }

    private static void ConfigureRollup<T>(ModelBuilder b, string table) where T : UsageRollup
    {
        b.Entity<T>(e =>
        {
            e.ToTable(table);
            e.Property(x => x.Provider).HasMaxLength(64);
            e.Property(x => x.Model).HasMaxLength(128);
            e.Property(x => x.ApiMethod).HasMaxLength(64);
            // The natural key doubles as the upsert target for ingestion.
            e.HasIndex(x => new { x.TeamId, x.BucketStart, x.Provider, x.Model, x.ApiMethod }).IsUnique();
            e.HasIndex(x => x.BucketStart);
            // Covering index for the dashboard: its period scans over the daily rollups read the index alone, never the table.
            if (table == "UsageDaily")
                e.HasIndex(x => new { x.BucketStart, x.TeamId, x.Provider, x.Model, x.CostNanos }).HasDatabaseName("IX_UsageDaily_Covering");
        });
    }
}

internal sealed class UtcDateTimeConverter() : Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<DateTime, DateTime>(
    v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
    v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
