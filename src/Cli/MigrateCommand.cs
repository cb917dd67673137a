using System.CommandLine;

namespace QuotaPortal.Cli;

internal static class MigrateCommand
{
    public static Command Create(CliHost cli)
    {
        var migrate = new Command("migrate", "Apply pending database migrations and exit.");
        // Building the services migrates; nothing else to do.
        migrate.SetAction((_, ct) => cli.WithServicesAsync(async (_, _) =>
        {
            await cli.Out.WriteLineAsync("Database is up to date.");
            return 0;
        }, ct));
        return migrate;
    }
}
