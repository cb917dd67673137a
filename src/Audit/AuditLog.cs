using System.Text.Json;
using System.Text.Json.Serialization;
using QuotaPortal.Data;

namespace QuotaPortal.Audit;

/// <summary>
/// Adds an audit row to the caller's DbContext, so it commits in the same SaveChanges as the change it describes:
/// no change without its entry, no entry without its change.
/// </summary>
public sealed class AuditLog(TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        // Stored for people to read on the audit page (rendered HTML-encoded there), so keep "&" and quotes legible.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    public AuditEntry Record(QuotaDbContext db, string actor, string action, string entityType, object? entityId,
        string? summary, object? before = null, object? after = null)
    {
        var entry = new AuditEntry
        {
            At = time.GetUtcNow().UtcDateTime,
            Actor = actor,
            Action = action,
            EntityType = entityType,
            EntityId = entityId?.ToString(),
            Summary = summary,
            BeforeJson = before is null ? null : JsonSerializer.Serialize(before, Json),
            AfterJson = after is null ? null : JsonSerializer.Serialize(after, Json),
        };
        db.AuditEntries.Add(entry);
        return entry;
    }
}
