namespace QuotaPortal.Usage;

/// <summary>
/// An export format of <c>GET /api/v1/usage/export</c> besides the raw records' CSV and JSON, written by the feature that owns it
/// (FOCUS lives in its own folder). The filter it gets is already limited to the caller's access scope.
/// </summary>
public interface IUsageExportFormat
{
    /// <summary>The <c>format=</c> value (lower case).</summary>
    string Name { get; }

    string ContentType { get; }

    string FileExtension { get; }

    /// <summary>Errors per query parameter when the filter asks for something this format cannot honour; null when it can.</summary>
    Dictionary<string, string[]>? Validate(UsageFilter filter);

    Task WriteAsync(UsageFilter filter, Stream body, CancellationToken ct);
}
