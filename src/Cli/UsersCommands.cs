using System.CommandLine;
using QuotaPortal.Kernel;
using QuotaPortal.Users;

namespace QuotaPortal.Cli;

internal static class UsersCommands
{
    public static Command Create(CliHost cli) => new("users", "Manage users.") { Add(cli), List(cli) };

    private static Command Add(CliHost cli)
    {
        var email = new Option<string>("--email") { Description = "E-mail address (the sign-in name).", Required = true };
        var password = new Option<string>("--password") { Description = "Initial password (at least 12 characters).", Required = true };
        var role = new Option<string>("--role") { Description = "Admin or Viewer.", DefaultValueFactory = _ => Roles.Viewer };
        role.AcceptOnlyFromAmong(Roles.All);
        var name = new Option<string?>("--name") { Description = "Display name." };
        var add = new Command("add", "Create a user.") { email, password, role, name };
        add.SetAction((parse, ct) => cli.WithServicesAsync(async (sp, token) =>
        {
            var result = await sp.GetRequiredService<UserService>().CreateAsync(
                new NewUser(parse.GetValue(email)!, parse.GetValue(name), parse.GetValue(password)!, parse.GetValue(role)!), AccessScope.System.WithActor("cli"), token);
            return await cli.ReportAsync(result, user => cli.Out.WriteLineAsync($"Created {user.Role} user {user.Email}."));
        }, ct));
        return add;
    }

    private static Command List(CliHost cli)
    {
        var list = new Command("list", "List users and their roles.");
        list.SetAction((_, ct) => cli.WithServicesAsync(async (sp, token) =>
        {
            foreach (var u in await sp.GetRequiredService<UserService>().ListAsync(token))
                await cli.Out.WriteLineAsync($"{u.Email}\t{u.Role}{(u.IsLockedOut ? "\tlocked" : "")}");
            return 0;
        }, ct));
        return list;
    }
}
