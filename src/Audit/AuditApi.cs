using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using QuotaPortal.Kernel;

namespace QuotaPortal.Audit;

/// <summary>The audit log for scripts and SIEMs: the Audit page's filters, paged JSON or a streamed CSV. Admin only, as the page.</summary>
public static class AuditApi
{
    public const int MaxPageSize = 500;

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/audit", GetAsync).WithTags("Audit").RequireAuthorization(Policies.Admin)
            .WithSummary("Audit entries, newest first: filter by actor, entity, action, dates; paged JSON or format=csv (everything matching)");
        return app;
    }

    /// <param name="Action">A dotted verb (budget.update), or a prefix ending in a dot (budget.) for all of an entity's verbs.</param>
    /// <param name="Page">0-based.</param>
    public sealed record AuditQuery(string? Actor, string? EntityType, string? EntityId, string? Action, string? Search, DateTimeOffset? From,
        DateTimeOffset? To, int? Page, int? PageSize, string? Format);

    public sealed record AuditItem(long Id, DateTime At, string Actor, string Action, string EntityType, string? EntityId, string? Summary,
        JsonElement? Before, JsonElement? After);

    public sealed record AuditPage(IReadOnlyList<AuditItem> Items, int Total, int Page, int PageSize);

    public static async Task<IResult> GetAsync(HttpContext http, AuditQueries audit, TimeProvider time, [AsParameters] AuditQuery q, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var csv = string.Equals(q.Format, "csv", StringComparison.OrdinalIgnoreCase);
        if (!csv && q.Format is not null && !string.Equals(q.Format, "json", StringComparison.OrdinalIgnoreCase))
            errors["format"] = ["'format' must be json or csv."];
        if (q.From is { } f && q.To is { } t && t <= f)
            errors["to"] = ["'to' must be after 'from'."];
        if (q.Page is < 0)
            errors["page"] = ["'page' is 0-based and cannot be negative."];
        if (q.PageSize is < 1 or > MaxPageSize)
            errors["pageSize"] = [$"'pageSize' must be between 1 and {MaxPageSize}."];
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);
        var filter = new AuditFilter(Blank(q.Search), Blank(q.EntityType), q.From?.UtcDateTime, q.To?.UtcDateTime, Blank(q.Actor), Blank(q.EntityId), Blank(q.Action));
        if (!csv)
        {
            var (page, size) = (q.Page ?? 0, q.PageSize ?? 50);
            var result = await audit.GetPageAsync(filter, page, size, ct);
            return TypedResults.Ok(new AuditPage(result.Items.Select(Item).ToList(), result.Total, page, size));
        }
        var stamp = time.GetUtcNow().UtcDateTime.ToString("yyyyMMdd-HHmm", CultureInfo.InvariantCulture);
        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"audit-{stamp}.csv\"";
        await using var text = new StreamWriter(http.Response.Body, leaveOpen: true);
        await WriteCsvAsync(audit.StreamAsync(filter, ct), text, ct);
        return TypedResults.Empty;
    }

    private static readonly string[] CsvColumns = ["id", "at", "actor", "action", "entityType", "entityId", "summary", "before", "after"];

    /// <summary>Cells escaped like every download: an actor or summary a spreadsheet would run as a formula gets a leading <c>'</c>.</summary>
    public static Task WriteCsvAsync(IAsyncEnumerable<AuditEntry> entries, TextWriter text, CancellationToken ct) =>
        CsvExport.WriteAsync(text, CsvColumns, entries, e => [
            e.Id.ToString(CultureInfo.InvariantCulture),
            DateTime.SpecifyKind(e.At, DateTimeKind.Utc).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
            e.Actor, e.Action, e.EntityType, e.EntityId, e.Summary, e.BeforeJson, e.AfterJson,
        ], ct);

    private static AuditItem Item(AuditEntry e) => new(e.Id, DateTime.SpecifyKind(e.At, DateTimeKind.Utc), e.Actor, e.Action, e.EntityType, e.EntityId,
        e.Summary, Json(e.BeforeJson), Json(e.AfterJson));

    /// <summary>Before/after as JSON objects (not strings inside strings); a value that is not JSON stays a string.</summary>
    private static JsonElement? Json(string? stored)
    {
        if (stored is null)
            return null;
        try
        {
            using var doc = JsonDocument.Parse(stored);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(stored);
        }
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
