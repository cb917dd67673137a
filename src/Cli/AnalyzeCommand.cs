using System.CommandLine;
using QuotaPortal.Anomalies;
using QuotaPortal.Kernel;

namespace QuotaPortal.Cli;

internal static class AnalyzeCommand
{
    public static Command Create(CliHost cli)
    {
        var team = new Option<string[]>("--team") { Description = "Team slug (repeatable); default every active team.", AllowMultipleArgumentsPerToken = true };
        var from = new Option<DateTime?>("--from") { Description = "First day to judge (UTC, yyyy-MM-dd); default the first day with usage." };
        var to = new Option<DateTime?>("--to") { Description = "Judge up to this day (exclusive, UTC); default now." };
        var analyze = new Command("analyze", "Run anomaly detection over stored history (causally, as if live); found episodes are listed, nobody is notified.")
            { team, from, to };
        analyze.SetAction((parse, ct) => cli.WithServicesAsync((sp, token) =>
            RunAsync(cli, sp, parse.GetValue(team) ?? [], Utc(parse.GetValue(from)), Utc(parse.GetValue(to)), token), ct));
        return analyze;
    }

    private static DateTime? Utc(DateTime? d) => d is { } v ? DateTime.SpecifyKind(v, DateTimeKind.Utc) : null;

    private static async Task<int> RunAsync(CliHost cli, IServiceProvider sp, string[] teams, DateTime? from, DateTime? to, CancellationToken ct)
    {
        if (from is { } f && to is { } t && t <= f)
        {
            await cli.Error.WriteLineAsync("error: --to must be after --from.");
            return 1;
        }
        var report = await sp.GetRequiredService<AnomalyService>().BackfillAsync(teams, from, to, ct);
        await cli.Out.WriteLineAsync($"Analyzed {report.Teams} team(s), {report.Series} series: {report.Found} anomaly episode(s).");
        var list = await sp.GetRequiredService<AnomalyQueries>().ListAsync(
            new AnomalyFilter(teams.Length == 1 ? teams[0] : null, from, to), AccessScope.System, ct);
        foreach (var a in list.Where(a => teams.Length <= 1 || teams.Contains(a.TeamSlug)))
            await cli.Out.WriteLineAsync($"{a.StartUtc:yyyy-MM-dd HH:mm}  {a.Team,-18} {a.Granularity,-4} {a.Model ?? "(all models)",-20} " +
                $"actual {a.ActualUsd,10:N2}  expected {a.ExpectedUsd,10:N2}  {a.Deviation,5:N1} sd  +${a.ImpactUsd:N2}  {a.RootCause}");
        return 0;
    }
}
