using System.CommandLine;
using QuotaPortal.Data;
using QuotaPortal.Demo;
using QuotaPortal.Composition;
using QuotaPortal.Kernel;
using QuotaPortal.Users;

namespace QuotaPortal.Cli;

/// <summary>
/// Ops commands on the portal's own binary (as `gitea admin user create` does). They build the same service
/// container, read the same configuration and open the same database; pending migrations are applied first.
/// </summary>
public static class PortalCli
{
    private static readonly string[] Commands = ["users", "migrate", "demo", "keys", "import", "analyze"];

    public static bool Handles(string[] args) => args.Length > 0 && Commands.Contains(args[0], StringComparer.OrdinalIgnoreCase);

    public static Task<int> RunAsync(string[] args, TextWriter? stdout = null, TextWriter? stderr = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        stdout ??= Console.Out;
        stderr ??= Console.Error;
        var root = new RootCommand("QuotaPortal operations. Without a command the portal starts.");

        var migrate = new Command("migrate", "Apply pending database migrations and exit.");
        migrate.SetAction((_, ct) => WithServicesAsync(configure, stderr, async (_, _) =>
        {
            await stdout.WriteLineAsync("Database is up to date.");
            return 0;
        }, ct));
        root.Subcommands.Add(migrate);

        var email = new Option<string>("--email") { Description = "E-mail address (the sign-in name).", Required = true };
        var password = new Option<string>("--password") { Description = "Initial password (at least 12 characters).", Required = true };
        var role = new Option<string>("--role") { Description = "Admin or Viewer.", DefaultValueFactory = _ => Roles.Viewer };
        role.AcceptOnlyFromAmong(Roles.All);
        var name = new Option<string?>("--name") { Description = "Display name." };
        var add = new Command("add", "Create a user.") { email, password, role, name };
        add.SetAction((parse, ct) => WithServicesAsync(configure, stderr, async (sp, token) =>
        {
            var users = sp.GetRequiredService<UserService>();
            var result = await users.CreateAsync(
                new NewUser(parse.GetValue(email)!, parse.GetValue(name), parse.GetValue(password)!, parse.GetValue(role)!), AccessScope.System.WithActor("cli"), token);
            if (!result.Succeeded)
            {
                await stderr.WriteLineAsync($"error: {result.ErrorText}");
                return 1;
            }
            await stdout.WriteLineAsync($"Created {result.Value!.Role} user {result.Value.Email}.");
            return 0;
        }, ct));
        var list = new Command("list", "List users and their roles.");
        list.SetAction((_, ct) => WithServicesAsync(configure, stderr, async (sp, token) =>
        {
            foreach (var u in await sp.GetRequiredService<UserService>().ListAsync(token))
                await stdout.WriteLineAsync($"{u.Email}\t{u.Role}{(u.IsLockedOut ? "\tlocked" : "")}");
            return 0;
        }, ct));
        root.Subcommands.Add(new Command("users", "Manage users.") { add, list });

        var demo = new Command("demo", "Load the deterministic demo data set into an empty database (never in Production).");
        demo.SetAction((_, ct) => WithServicesAsync(configure, stderr, async (sp, token) =>
        {
            var seeder = sp.GetRequiredService<DemoSeeder>();
            var env = sp.GetRequiredService<IHostEnvironment>();
            if (env.IsProduction())
            {
                await stderr.WriteLineAsync("error: demo data is never loaded in Production.");
                return 1;
            }
            var r = await seeder.LoadAsync("cli", ct: token);
            await stdout.WriteLineAsync($"Loaded {r.Teams} teams and {r.Records:N0} usage records (${r.TotalCost:N2}) in {r.Took.TotalSeconds:N1} s.");
            return 0;
        }, ct));
        root.Subcommands.Add(demo);

        var keyName = new Option<string>("--name") { Description = "What the key is for (e.g. 'gateway-prod').", Required = true };
        var scope = new Option<string>("--scope") { Description = "admin, ingest:* or ingest:<team-slug>.", Required = true };
        var expires = new Option<DateTimeOffset?>("--expires") { Description = "Expiry date (UTC unless an offset is given)." };
        var createKey = new Command("create", "Create an API key and print its secret (shown only this once).") { keyName, scope, expires };
        createKey.SetAction((parse, ct) => WithServicesAsync(configure, stderr, async (sp, token) =>
        {
            var result = await sp.GetRequiredService<ApiKeys.ApiKeyService>().CreateAsync(parse.GetValue(keyName)!, parse.GetValue(scope)!,
                parse.GetValue(expires)?.UtcDateTime, AccessScope.System.WithActor("cli"), token);
            if (!result.Succeeded)
            {
                await stderr.WriteLineAsync($"error: {result.ErrorText}");
                return 1;
            }
            await stdout.WriteLineAsync(result.Value!.Secret);
            await stderr.WriteLineAsync($"Created key '{result.Value.Key.Name}' ({result.Value.Key.Prefix}…) with scope {result.Value.Key.Scope}. Store the secret now: it is not shown again.");
            return 0;
        }, ct));
        var listKeys = new Command("list", "List API keys.");
        listKeys.SetAction((_, ct) => WithServicesAsync(configure, stderr, async (sp, token) =>
        {
            var now = sp.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
            foreach (var k in await sp.GetRequiredService<ApiKeys.ApiKeyService>().ListAsync(token))
                await stdout.WriteLineAsync($"{k.Id}\t{k.Prefix}\t{k.Name}\t{k.Scope}\t{k.Status(now)}\tlast used {k.LastUsedAt?.ToString("u") ?? "never"}");
            return 0;
        }, ct));
        var keyId = new Argument<int>("id") { Description = "Key id (see 'keys list')." };
        var revokeKey = new Command("revoke", "Revoke an API key.") { keyId };
        revokeKey.SetAction((parse, ct) => WithServicesAsync(configure, stderr, async (sp, token) =>
        {
            var result = await sp.GetRequiredService<ApiKeys.ApiKeyService>().RevokeAsync(parse.GetValue(keyId), AccessScope.System.WithActor("cli"), token);
            if (!result.Succeeded)
            {
                await stderr.WriteLineAsync($"error: {result.ErrorText}");
                return 1;
            }
            await stdout.WriteLineAsync($"Revoked key {result.Value!.Name} ({result.Value.Prefix}…).");
            return 0;
        }, ct));
        root.Subcommands.Add(new Command("keys", "Manage API keys.") { createKey, listKeys, revokeKey });

        var file = new Argument<FileInfo>("file") { Description = "CSV (header row with the API's field names) or JSON lines (.jsonl/.ndjson)." };
        var import = new Command("import", "Backfill usage from a file, with the API's validation and idempotency.") { file };
        import.SetAction((parse, ct) => WithServicesAsync(configure, stderr, async (sp, token) =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists)
            {
                await stderr.WriteLineAsync($"error: {path.FullName} does not exist.");
                return 1;
            }
            var summary = await sp.GetRequiredService<Usage.UsageImporter>().ImportAsync(() => path.OpenRead(),
                Usage.UsageImporter.IsJsonLines(path.Name), AccessScope.System.WithActor("cli"), null, token);
            if (!summary.Succeeded)
            {
                await stderr.WriteLineAsync($"error: nothing imported from {path.Name}; fix these and run again:");
                foreach (var e in summary.Errors)
                    await stderr.WriteLineAsync("  " + e);
                return 1;
            }
            await stdout.WriteLineAsync($"Imported {summary.Accepted:N0} records (${summary.TotalCost:N2}); {summary.Duplicates:N0} already present; {summary.Records:N0} read in {summary.Took.TotalSeconds:N1} s.");
            return 0;
        }, ct));
        root.Subcommands.Add(import);

        var analyzeTeam = new Option<string[]>("--team") { Description = "Team slug (repeatable); default every active team.", AllowMultipleArgumentsPerToken = true };
        var analyzeFrom = new Option<DateTime?>("--from") { Description = "First day to judge (UTC, yyyy-MM-dd); default the first day with usage." };
        var analyzeTo = new Option<DateTime?>("--to") { Description = "Judge up to this day (exclusive, UTC); default now." };
        var analyze = new Command("analyze", "Run anomaly detection over stored history (causally, as if live); found episodes are listed, nobody is notified.")
            { analyzeTeam, analyzeFrom, analyzeTo };
        analyze.SetAction((parse, ct) => WithServicesAsync(configure, stderr, async (sp, token) =>
        {
            static DateTime? Utc(DateTime? d) => d is { } v ? DateTime.SpecifyKind(v, DateTimeKind.Utc) : null;
            var teams = parse.GetValue(analyzeTeam) ?? [];
            var from = Utc(parse.GetValue(analyzeFrom));
            var to = Utc(parse.GetValue(analyzeTo));
            if (from is { } f && to is { } t && t <= f)
            {
                await stderr.WriteLineAsync("error: --to must be after --from.");
                return 1;
            }
            var report = await sp.GetRequiredService<QuotaPortal.Anomalies.AnomalyService>().BackfillAsync(teams, from, to, token);
            await stdout.WriteLineAsync($"Analyzed {report.Teams} team(s), {report.Series} series: {report.Found} anomaly episode(s).");
            var list = await sp.GetRequiredService<QuotaPortal.Anomalies.AnomalyQueries>().ListAsync(
                new QuotaPortal.Anomalies.AnomalyFilter(teams.Length == 1 ? teams[0] : null, from, to), AccessScope.System, token);
            foreach (var a in list.Where(a => teams.Length <= 1 || teams.Contains(a.TeamSlug)))
                await stdout.WriteLineAsync($"{a.StartUtc:yyyy-MM-dd HH:mm}  {a.Team,-18} {a.Granularity,-4} {a.Model ?? "(all models)",-20} " +
                    $"actual {a.ActualUsd,10:N2}  expected {a.ExpectedUsd,10:N2}  {a.Deviation,5:N1} sd  +${a.ImpactUsd:N2}  {a.RootCause}");
            return 0;
        }, ct));
        root.Subcommands.Add(analyze);

        var config = new InvocationConfiguration { Output = stdout, Error = stderr };
        return root.Parse(args).InvokeAsync(config);
    }

    private static async Task<int> WithServicesAsync(Action<WebApplicationBuilder>? configure, TextWriter stderr,
        Func<IServiceProvider, CancellationToken, Task<int>> action, CancellationToken ct)
    {
        try
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
            // Commands print their own result; only warnings and errors from the framework.
            builder.Logging.AddFilter<Microsoft.Extensions.Logging.Console.ConsoleLoggerProvider>(null, LogLevel.Warning);
            // Validate the container as Development does, so a missing registration fails here, in every environment.
            builder.Host.UseDefaultServiceProvider(o => { o.ValidateOnBuild = true; o.ValidateScopes = true; });
            configure?.Invoke(builder);
            builder.AddQuotaPortal();
            await using var app = builder.Build();
            var init = app.Services.GetRequiredService<DatabaseInitializer>();
            await init.MigrateAsync(ct);
            await init.SeedAsync(ct);
            return await action(app.Services, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await stderr.WriteLineAsync($"error: {ex.Message}");
            return 1;
        }
    }
}
