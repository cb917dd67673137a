using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using QuotaPortal.Kernel;

namespace QuotaPortal.Reports;

public static class ReportsApi
{
    public static IEndpointRouteBuilder MapReportsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/reports/{kind}", ReportAsync).RequireAuthorization(Policies.Reader).WithTags("Analytics")
            .WithSummary("Daily, weekly or monthly report as JSON or CSV");
        return app;
    }

    /// <param name="kind">daily, weekly or monthly.</param>
    /// <param name="date">A day inside the period (yyyy-MM-dd); default yesterday for daily, today otherwise.</param>
    /// <param name="format">json (default) or csv.</param>
    public static async Task<Results<Ok<SpendReport>, FileContentHttpResult, ValidationProblem>> ReportAsync(string kind, DateOnly? date, string? format,
        ReportService reports, AccessScope scope, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (!Enum.TryParse<ReportKind>(kind, ignoreCase: true, out var k) || int.TryParse(kind, out _))
            errors.Add("kind", "'kind' must be daily, weekly or monthly.");
        if (format is not null && format is not ("json" or "csv"))
            errors.Add("format", "'format' must be json or csv.");
        if (errors.Any)
            return TypedResults.ValidationProblem(errors.ToDictionary());
        var report = await reports.BuildAsync(k, scope, date, ct);
        if (format == "csv")
            return TypedResults.File(Encoding.UTF8.GetBytes(ReportService.ToCsv(report)), "text/csv",
                $"quotaportal-{k.ToString().ToLowerInvariant()}-{report.From.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}.csv");
        return TypedResults.Ok(report);
    }
}
