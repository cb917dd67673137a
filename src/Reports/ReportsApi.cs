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
        var schedule = app.MapGroup("/api/v1/reports/schedule").WithTags("Analytics").RequireAuthorization(Policies.Admin);
        schedule.MapGet("/", GetScheduleAsync).WithSummary("Which reports are e-mailed by themselves, when and through which channels");
        schedule.MapPut("/", PutScheduleAsync).WithSummary("Change the report e-mails (audited)");
        return app;
    }

    public static async Task<Ok<ReportScheduleSettings>> GetScheduleAsync(ReportSchedule schedule, CancellationToken ct) =>
        TypedResults.Ok(await schedule.GetAsync(ct));

    /// <param name="Daily">Yesterday's report every day after <paramref name="HourUtc"/>.</param>
    /// <param name="Weekly">Last week's report on Mondays after <paramref name="HourUtc"/>.</param>
    /// <param name="ChannelIds">Channels to send through (ids from /api/v1/channels, not PagerDuty); empty = every enabled e-mail channel.</param>
    public sealed record ScheduleRequest(bool Daily, bool Weekly, IReadOnlyList<Guid>? ChannelIds, int HourUtc = 7) : IHasExample<ScheduleRequest>
    {
        public static ScheduleRequest Example => new(true, true, [], 7);
    }

    public static async Task<Results<Ok<ReportScheduleSettings>, ValidationProblem>> PutScheduleAsync(ScheduleRequest request, ReportSchedule schedule,
        Notifications.NotificationChannels channels, AccessScope who, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (request.HourUtc is < 0 or > 23)
            errors.Add("hourUtc", "'hourUtc' must be an hour of the day, 0–23 (UTC).");
        // As on the Reports page: any channel but PagerDuty (an incident pager is no place for a report).
        var usable = (await channels.ListAsync(ct)).Where(c => c.Kind != Notifications.ChannelKind.PagerDuty).Select(c => c.Id).ToHashSet();
        foreach (var id in request.ChannelIds ?? [])
            if (!usable.Contains(id))
                errors.Add("channelIds", $"{id} is not a channel reports can go to (see GET /api/v1/channels; PagerDuty is not one).");
        if (errors.Any)
            return TypedResults.ValidationProblem(errors.ToDictionary());
        var settings = new ReportScheduleSettings(request.Daily, request.Weekly, request.ChannelIds ?? [], request.HourUtc);
        await schedule.SaveAsync(settings, who, ct);
        return TypedResults.Ok(await schedule.GetAsync(ct));
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
