using System.CommandLine;
using QuotaPortal.Kernel;
using QuotaPortal.Usage;

namespace QuotaPortal.Cli;

internal static class ImportCommand
{
    public static Command Create(CliHost cli)
    {
        var file = new Argument<FileInfo>("file") { Description = "CSV (header row with the API's field names) or JSON lines (.jsonl/.ndjson)." };
        var import = new Command("import", "Backfill usage from a file, with the API's validation and idempotency.") { file };
        import.SetAction((parse, ct) => cli.WithServicesAsync(async (sp, token) =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists)
            {
                await cli.Error.WriteLineAsync($"error: {path.FullName} does not exist.");
                return 1;
            }
            var summary = await sp.GetRequiredService<UsageImporter>().ImportAsync(() => path.OpenRead(),
                UsageImporter.IsJsonLines(path.Name), AccessScope.System.WithActor("cli"), null, token);
            if (!summary.Succeeded)
            {
                await cli.Error.WriteLineAsync($"error: nothing imported from {path.Name}; fix these and run again:");
                foreach (var e in summary.Errors)
                    await cli.Error.WriteLineAsync("  " + e);
                return 1;
            }
            await cli.Out.WriteLineAsync($"Imported {summary.Accepted:N0} records (${summary.TotalCost:N2}); {summary.Duplicates:N0} already present; {summary.Records:N0} read in {summary.Took.TotalSeconds:N1} s.");
            return 0;
        }, ct));
        return import;
    }
}
