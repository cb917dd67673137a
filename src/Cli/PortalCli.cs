using System.CommandLine;

namespace QuotaPortal.Cli;

/// <summary>
/// Ops commands on the portal's own binary (as `gitea admin user create` does). They build the same service
/// container, read the same configuration and open the same database; pending migrations are applied first.
/// </summary>
public static class PortalCli
{
    private static readonly string[] Commands = ["users", "migrate", "demo", "keys", "import", "analyze", "migrate-data", "backup"];

    public static bool Handles(string[] args) => args.Length > 0 && Commands.Contains(args[0], StringComparer.OrdinalIgnoreCase);

    public static Task<int> RunAsync(string[] args, TextWriter? stdout = null, TextWriter? stderr = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        var cli = new CliHost(stdout ?? Console.Out, stderr ?? Console.Error, configure);
        var root = new RootCommand("QuotaPortal operations. Without a command the portal starts.")
        {
            MigrateCommand.Create(cli),
            UsersCommands.Create(cli),
            DemoCommand.Create(cli),
            KeysCommands.Create(cli),
            ImportCommand.Create(cli),
            AnalyzeCommand.Create(cli),
            MigrateDataCommand.Create(cli),
            BackupCommand.Create(cli),
        };
        var config = new InvocationConfiguration { Output = cli.Out, Error = cli.Error };
        return root.Parse(args).InvokeAsync(config);
    }
}
