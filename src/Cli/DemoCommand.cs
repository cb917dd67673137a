using System.CommandLine;
using QuotaPortal.Demo;

namespace QuotaPortal.Cli;

internal static class DemoCommand
{
    public static Command Create(CliHost cli)
    {
        var demo = new Command("demo", "Load the deterministic demo data set into an empty database (never in Production).");
        demo.SetAction((_, ct) => cli.WithServicesAsync(async (sp, token) =>
        {
            var seeder = sp.GetRequiredService<DemoSeeder>();
            if (sp.GetRequiredService<IHostEnvironment>().IsProduction())
            {
                await cli.Error.WriteLineAsync("error: demo data is never loaded in Production.");
                return 1;
            }
            var r = await seeder.LoadAsync("cli", ct: token);
            await cli.Out.WriteLineAsync($"Loaded {r.Teams} teams and {r.Records:N0} usage records (${r.TotalCost:N2}) in {r.Took.TotalSeconds:N1} s.");
            return 0;
        }, ct));
        return demo;
    }
}
