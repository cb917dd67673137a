using System.CommandLine;
using QuotaPortal.Data;
using QuotaPortal.Operations;

namespace QuotaPortal.Cli;

internal static class BackupCommand
{
    public static Command Create(CliHost cli)
    {
        var file = new Argument<string>("file") { Description = "Where to write the copy (a SQLite file)." };
        var force = new Option<bool>("--force") { Description = "Overwrite the file if it exists." };
        var backup = new Command("backup", "Copy the SQLite database while the portal runs (SQLite's online backup API). On PostgreSQL use pg_dump.")
        {
            file, force,
        };
        backup.SetAction(async (parse, ct) =>
        {
            DatabaseProvider provider;
            try
            {
                provider = cli.Provider();
            }
            catch (InvalidOperationException ex)
            {
                await cli.Error.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }
            if (provider == DatabaseProvider.Postgres)
            {
                await cli.Error.WriteLineAsync("error: 'backup' copies a SQLite file; this portal uses PostgreSQL (Database:Provider). " +
                    "Back it up with PostgreSQL's own tool, e.g. pg_dump --format=custom --file=quotaportal.dump \"<connection string>\" (see the README).");
                return 2;
            }
            // No migration first: a backup taken before an upgrade must be of the database as it was.
            return await cli.WithServicesAsync(async (sp, token) =>
            {
                var result = await SqliteBackup.RunAsync(sp.GetRequiredService<RawConnections>().ConnectionString, parse.GetValue(file)!,
                    parse.GetValue(force), token);
                await cli.Out.WriteLineAsync($"Backed up {result.Source} to {result.Target}: {result.Bytes / 1048576.0:N1} MB, " +
                    $"{result.UsageRecords:N0} usage records, in {result.Took.TotalSeconds:N1} s.");
                return 0;
            }, ct, migrate: false);
        });
        return backup;
    }
}
