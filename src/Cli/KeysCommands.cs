using System.CommandLine;
using QuotaPortal.ApiKeys;
using QuotaPortal.Kernel;

namespace QuotaPortal.Cli;

internal static class KeysCommands
{
    public static Command Create(CliHost cli) => new("keys", "Manage API keys.") { CreateKey(cli), List(cli), Revoke(cli) };

    private static Command CreateKey(CliHost cli)
    {
        var keyName = new Option<string>("--name") { Description = "What the key is for (e.g. 'gateway-prod').", Required = true };
        var scope = new Option<string>("--scope") { Description = "admin, ingest:* or ingest:<team-slug>.", Required = true };
        var expires = new Option<DateTimeOffset?>("--expires") { Description = "Expiry date (UTC unless an offset is given)." };
        var create = new Command("create", "Create an API key and print its secret (shown only this once).") { keyName, scope, expires };
        create.SetAction((parse, ct) => cli.WithServicesAsync(async (sp, token) =>
        {
            var result = await sp.GetRequiredService<ApiKeyService>().CreateAsync(parse.GetValue(keyName)!, parse.GetValue(scope)!,
                parse.GetValue(expires)?.UtcDateTime, AccessScope.System.WithActor("cli"), token);
            return await cli.ReportAsync(result, async created =>
            {
                await cli.Out.WriteLineAsync(created.Secret);
                await cli.Error.WriteLineAsync($"Created key '{created.Key.Name}' ({created.Key.Prefix}…) with scope {created.Key.Scope}. Store the secret now: it is not shown again.");
            });
        }, ct));
        return create;
    }

    private static Command List(CliHost cli)
    {
        var list = new Command("list", "List API keys.");
        list.SetAction((_, ct) => cli.WithServicesAsync(async (sp, token) =>
        {
            var now = sp.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
            foreach (var k in await sp.GetRequiredService<ApiKeyService>().ListAsync(token))
                await cli.Out.WriteLineAsync($"{k.Id}\t{k.Prefix}\t{k.Name}\t{k.Scope}\t{k.Status(now)}\tlast used {k.LastUsedAt?.ToString("u") ?? "never"}");
            return 0;
        }, ct));
        return list;
    }

    private static Command Revoke(CliHost cli)
    {
        var keyId = new Argument<int>("id") { Description = "Key id (see 'keys list')." };
        var revoke = new Command("revoke", "Revoke an API key.") { keyId };
        revoke.SetAction((parse, ct) => cli.WithServicesAsync(async (sp, token) =>
        {
            var result = await sp.GetRequiredService<ApiKeyService>().RevokeAsync(parse.GetValue(keyId), AccessScope.System.WithActor("cli"), token);
            return await cli.ReportAsync(result, key => cli.Out.WriteLineAsync($"Revoked key {key.Name} ({key.Prefix}…)."));
        }, ct));
        return revoke;
    }
}
