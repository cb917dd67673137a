using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using QuotaPortal.Alerts;
using QuotaPortal.Cluster;
using QuotaPortal.Demo;
using QuotaPortal.Kernel;

namespace QuotaPortal.Settings;

/// <summary>
/// What the Settings page shows, for monitoring scripts: the system, the evaluation loop and this instance's leases. Start-up settings
/// come from appsettings.json or the environment and are read-only here; the page's run-time parts have their own APIs
/// (<c>/api/v1/channels</c>, <c>/api/v1/reports/schedule</c>).
/// </summary>
public static class SettingsApi
{
    public static IEndpointRouteBuilder MapSettingsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/settings", GetAsync).WithTags("Operations").RequireAuthorization(Policies.Admin)
            .WithSummary("The Settings page as JSON: environment, database and schema, evaluation loop state, leases (read-only)");
        return app;
    }

    public sealed record SystemSettings(string Environment, string Database, int AppliedMigrations, int PendingMigrations, string DefaultTimeZone,
        bool DemoDataOffered);

    public sealed record EvaluationSettings(string? Instance, int IntervalSeconds, int AfterIngestDelayMs, DateTime? LastRunAt, DateTime? NextRunAt,
        double? LastDurationMs, int? LastRaised, int? LastUpdated, int? LastResolved, long Runs, long FailedRuns, IReadOnlyDictionary<string, string> Steps,
        string? LastError);

    public sealed record InstanceSettings(string InstanceId, double ChangePollSeconds, IReadOnlyList<LeaseState> Leases);

    public sealed record SettingsView(SystemSettings System, EvaluationSettings Evaluation, InstanceSettings Instances);

    public static async Task<Ok<SettingsView>> GetAsync(DatabaseStatusService database, IOptions<PortalOptions> portal, IOptions<DemoOptions> demo,
        IHostEnvironment env, EvaluationStatus evaluation, IOptions<EvaluationOptions> evaluationOptions, LeaseService leases,
        IOptions<ClusterOptions> cluster, CancellationToken ct)
    {
        var db = await database.GetAsync(ct);
        var e = evaluation;
        return TypedResults.Ok(new SettingsView(
            new SystemSettings(env.EnvironmentName, db.DataSource, db.AppliedMigrations, db.PendingMigrations, portal.Value.DefaultTimeZone,
                demo.Value.Enabled && !env.IsProduction()),
            new EvaluationSettings(e.Instance, evaluationOptions.Value.IntervalSeconds, evaluationOptions.Value.AfterIngestDelayMs, e.LastRunAt, e.NextRunAt,
                e.LastDuration?.TotalMilliseconds, e.LastTotals?.Raised, e.LastTotals?.Updated, e.LastTotals?.Resolved, e.Runs, e.FailedRuns, e.Steps, e.LastError),
            new InstanceSettings(leases.InstanceId, cluster.Value.ChangePollMilliseconds / 1000.0, leases.States)));
    }
}
