using Microsoft.AspNetCore.Http.HttpResults;
using QuotaPortal.Alerts;
using QuotaPortal.Kernel;

namespace QuotaPortal.Notifications;

/// <summary>
/// Notification channels as code: what the Settings page's channel list does, for scripts. Admin only (users and admin-scoped keys),
/// credentials write-only (GET says "secretSet" and shows a secret URL only as its scheme and host), every change audited by the service.
/// </summary>
public static class ChannelsApi
{
    public static IEndpointRouteBuilder MapChannelsApi(this IEndpointRouteBuilder app)
    {
        var channels = app.MapGroup("/api/v1/channels").WithTags("Notifications").RequireAuthorization(Policies.Admin);
        channels.MapGet("/", ListAsync).WithSummary("List notification channels (credentials never returned)");
        channels.MapGet("/{id:guid}", GetAsync).WithSummary("Get a notification channel");
        channels.MapPost("/", CreateAsync).WithSummary("Add a notification channel");
        channels.MapPut("/{id:guid}", UpdateAsync).WithSummary("Change a notification channel (an omitted secret or secret URL is kept)");
        channels.MapDelete("/{id:guid}", DeleteAsync).WithSummary("Remove a notification channel");
        channels.MapPost("/{id:guid}/test", TestAsync).WithSummary("Send a test notification through a channel");
        return app;
    }

    /// <param name="Url">Webhook, Slack or PagerDuty endpoint, or smtp(s)://host:port for e-mail. On update, omitted (or the value GET
    /// shows for a secret URL) keeps the stored one.</param>
    /// <param name="Secret">Webhook signing secret, PagerDuty routing key or SMTP user:password; write-only. On update, omitted keeps it.</param>
    /// <param name="ClearSecret">On update: remove the stored secret.</param>
    /// <param name="Teams">Only alerts of these team slugs; empty or omitted = every team.</param>
    public sealed record ChannelRequest(string Name, ChannelKind Kind, string? Url, string? Secret = null, AlertSeverity MinSeverity = AlertSeverity.Warning,
        IReadOnlyList<string>? Teams = null, bool Enabled = true, string? Recipients = null, bool ToTeamOwner = false, bool ClearSecret = false)
        : IHasExample<ChannelRequest>
    {
        public static ChannelRequest Example => new("FinOps Slack", ChannelKind.Slack, "https://hooks.slack.com/services/T000/B000/XXXX",
            MinSeverity: AlertSeverity.Warning, Teams: ["search"]);

        public NotificationChannel ToChannel(Guid id) =>
            new(id, Name ?? "", Kind, Url ?? "", Secret, MinSeverity, Teams ?? [], Enabled, Recipients, ToTeamOwner);
    }

    public sealed record TestResult(bool Delivered, string Detail);

    public static async Task<Ok<IReadOnlyList<ChannelView>>> ListAsync(NotificationChannels channels, CancellationToken ct) =>
        TypedResults.Ok(await channels.ListAsync(ct));

    public static async Task<Results<Ok<ChannelView>, NotFound>> GetAsync(Guid id, NotificationChannels channels, CancellationToken ct) =>
        (await channels.ListAsync(ct)).FirstOrDefault(c => c.Id == id) is { } c ? TypedResults.Ok(c) : TypedResults.NotFound();

    public static async Task<Results<Created<ChannelView>, ValidationProblem, ForbidHttpResult>> CreateAsync(ChannelRequest request,
        NotificationChannels channels, AccessScope who, CancellationToken ct)
    {
        var result = await channels.SaveAsync(request.ToChannel(Guid.Empty), who, ct);
        if (result.Forbidden)
            return TypedResults.Forbid();
        return result.Succeeded
            ? TypedResults.Created($"/api/v1/channels/{result.Value!.Id}", result.Value)
            : TypedResults.ValidationProblem(result.Errors);
    }

    public static async Task<Results<Ok<ChannelView>, ValidationProblem, NotFound, ForbidHttpResult>> UpdateAsync(Guid id, ChannelRequest request,
        NotificationChannels channels, AccessScope who, CancellationToken ct)
    {
        if ((await channels.ListAsync(ct)).FirstOrDefault(c => c.Id == id) is not { } current)
            return TypedResults.NotFound();
        // GET → PUT round trip: a secret URL comes back as GET showed it (scheme and host only), which means "keep it".
        var keepUrl = current.UrlIsSecret && current.Kind == request.Kind && string.Equals(request.Url, current.Url, StringComparison.Ordinal);
        var result = await channels.SaveAsync(request.ToChannel(id) with { Url = keepUrl ? "" : request.Url ?? "" }, who, ct, request.ClearSecret);
        if (result.Forbidden)
            return TypedResults.Forbid();
        return result.Succeeded ? TypedResults.Ok(result.Value!) : TypedResults.ValidationProblem(result.Errors);
    }

    public static async Task<Results<NoContent, NotFound>> DeleteAsync(Guid id, NotificationChannels channels, AccessScope who, CancellationToken ct)
    {
        if ((await channels.ListAsync(ct)).All(c => c.Id != id))
            return TypedResults.NotFound();
        await channels.DeleteAsync(id, who, ct);
        return TypedResults.NoContent();
    }

    /// <summary>200 when the receiver accepted the test message; 502 (generic, as on the page: the log has the reason) when it did not.</summary>
    public static async Task<Results<Ok<TestResult>, NotFound, ProblemHttpResult>> TestAsync(Guid id, NotificationChannels channels, AccessScope who,
        CancellationToken ct)
    {
        if ((await channels.ListAsync(ct)).All(c => c.Id != id))
            return TypedResults.NotFound();
        return await channels.SendTestAsync(id, who, ct)
            ? TypedResults.Ok(new TestResult(true, "The receiver accepted the test notification."))
            : TypedResults.Problem(statusCode: StatusCodes.Status502BadGateway, title: "Test notification not delivered", detail: NotificationChannels.TestFailed);
    }
}
