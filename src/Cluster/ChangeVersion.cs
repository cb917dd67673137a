using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using QuotaPortal.Kernel;

namespace QuotaPortal.Cluster;

/// <summary>
/// A value that moves whenever something an in-memory view keeps changes; every instance polls the table and reloads what moved. Rows of
/// entities marked <see cref="BroadcastChangesAttribute"/> get a new random value in the same SaveChanges as the change; "usage:&lt;instance&gt;"
/// (one row per writing instance) and "usage-day:&lt;day&gt;" count up in the usage writer's transaction.
/// </summary>
public class ChangeVersion
{
    public required string Name { get; set; }
    public long Version { get; set; }
    public DateTime UpdatedAt { get; set; }
}

internal sealed class ChangeVersionConfiguration : IEntityTypeConfiguration<ChangeVersion>
{
    public void Configure(EntityTypeBuilder<ChangeVersion> e)
    {
        e.HasKey(x => x.Name);
        e.Property(x => x.Name).HasMaxLength(100);
    }
}

/// <summary>Adds the change-version updates of a SaveChanges to that SaveChanges, so the change and its signal commit together.</summary>
internal sealed class ChangeVersionInterceptor(TimeProvider time) : SaveChangesInterceptor
{
    private static readonly ConcurrentDictionary<Type, string?> NameOf = new();

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Stamp(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result,
        CancellationToken cancellationToken = default)
    {
        Stamp(eventData.Context);
        return ValueTask.FromResult(result);
    }

    private void Stamp(DbContext? db)
    {
        if (db is null)
            return;
        var names = db.ChangeTracker.Entries()
            .Where(e => e.State is EntityState.Added or EntityState.Modified or EntityState.Deleted)
            .Select(e => NameOf.GetOrAdd(e.Metadata.ClrType, t => t.GetCustomAttribute<BroadcastChangesAttribute>()?.Name))
            .OfType<string>()
            .ToHashSet();
        if (names.Count == 0)
            return;
        var now = time.GetUtcNow().UtcDateTime;
        var tracked = db.ChangeTracker.Entries<ChangeVersion>().ToDictionary(e => e.Entity.Name, e => e.Entity);
        foreach (var name in names)
        {
            // A random value, not a counter: no read, no lost update between instances; pollers only ask "did it move?".
            var row = tracked.GetValueOrDefault(name) ?? db.Attach(new ChangeVersion { Name = name }).Entity;
            row.Version = Random.Shared.NextInt64(1, long.MaxValue);
            row.UpdatedAt = now;
            var entry = db.Entry(row);
            entry.Property(v => v.Version).IsModified = true;
            entry.Property(v => v.UpdatedAt).IsModified = true;
        }
    }
}
