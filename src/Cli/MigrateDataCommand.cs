using System.CommandLine;
using Npgsql;
using QuotaPortal.Data;

namespace QuotaPortal.Cli;

/// <summary>`migrate-data --from App_Data/quotaportal.db --to "Host=…;Database=…"`: moves a SQLite installation to PostgreSQL.</summary>
internal static class MigrateDataCommand
{
    public static Command Create(CliHost cli)
    {
        var from = new Option<string>("--from") { Description = "The SQLite file to copy from (the portal stopped).", Required = true };
        var to = new Option<string>("--to") { Description = "Connection string of an empty PostgreSQL database (created beforehand).", Required = true };
        var command = new Command("migrate-data", "Copy every table of a SQLite installation into an empty PostgreSQL database, then check counts and sums.")
        {
            from, to,
        };
        command.SetAction(async (parse, ct) =>
        {
            var file = parse.GetValue(from)!;
            if (!File.Exists(file))
            {
                await cli.Error.WriteLineAsync($"error: '--from': no SQLite file at {Path.GetFullPath(file)}.");
                return 1;
            }
            try
            {
                await cli.Out.WriteLineAsync($"Copying {file} to PostgreSQL…");
                var results = await DataCopier.CopyAsync($"Data Source={file}", parse.GetValue(to)!, cli.Out, ct);
                foreach (var r in results.Where(r => r.Sums.Count > 0))
                    await cli.Out.WriteLineAsync($"  {r.Table}: " + string.Join(", ", r.Sums.Select(s => $"sum({s.Column}) {s.Source:N0} → {s.Target:N0}")));
                var wrong = results.Where(r => !r.Matches).ToList();
                if (wrong.Count > 0)
                {
                    await cli.Error.WriteLineAsync($"error: {string.Join(", ", wrong.Select(w => w.Table))} differ after the copy.");
                    return 1;
                }
                await cli.Out.WriteLineAsync($"Copied {results.Sum(r => r.TargetRows):N0} rows in {results.Count} tables; counts and sums agree. " +
                    "Set Database:Provider=Postgres and ConnectionStrings:Default to the new database, then start the portal.");
                return 0;
            }
            catch (Exception ex) when (ex is InvalidOperationException or NpgsqlException or Microsoft.Data.Sqlite.SqliteException)
            {
                await cli.Error.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }
        });
        return command;
    }
}
