using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Audit;
using QuotaPortal.Data;
using QuotaPortal.Kernel;

namespace QuotaPortal.Users;

public sealed class SetupOptions
{
    public const string Section = "Setup";

    /// <summary>A fixed setup token accepted besides the one generated at each start (for installs that script the first visit).</summary>
    // Empty means unset (e.g. `Setup__Token=`); a short one is refused at start.
    [RegularExpression(".{16,}", ErrorMessage = "'Setup:Token' must be at least 16 characters.")]
    public string? Token { get; set; }
}

/// <summary>
/// First-run state. Until an admin exists every page leads to /setup; afterwards /setup is gone for good.
/// The answer is cached once true, because it can never become false again.
/// Whoever reaches a fresh portal first must not become its admin, so /setup also wants a one-time token that only the person
/// who started the portal can read: it is generated at each start and written to the log (as Jupyter does).
/// </summary>
public sealed class SetupService(IServiceScopeFactory scopes, AuditLog audit, TimeProvider time, IOptions<SetupOptions> options)
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private volatile bool complete;

    /// <summary>This start's setup token (never stored; tests read it here).</summary>
    public string Token { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    public bool IsValidToken(string? candidate)
    {
        if (string.IsNullOrEmpty(candidate))
            return false;
        // Hashing first makes the comparison fixed-time in the length too.
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(candidate));
        var matches = CryptographicOperations.FixedTimeEquals(hash, SHA256.HashData(Encoding.UTF8.GetBytes(Token)));
        if (options.Value.Token is { Length: > 0 } configured)
            matches |= CryptographicOperations.FixedTimeEquals(hash, SHA256.HashData(Encoding.UTF8.GetBytes(configured)));
        return matches;
    }

    /// <summary>Complete once any user holds the Admin role (a database with only viewers still needs its admin).</summary>
    public async Task<bool> IsCompleteAsync(CancellationToken ct = default)
    {
        if (complete)
            return true;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<QuotaDbContext>();
        var adminRole = Roles.Admin.ToUpperInvariant();
        complete = await db.UserRoles.AnyAsync(ur => db.Roles.Any(r => r.Id == ur.RoleId && r.NormalizedName == adminRole), ct);
        return complete;
    }

    public async Task<ServiceResult<ApplicationUser>> CreateFirstAdminAsync(string email, string? displayName, string password, string actor,
        CancellationToken ct = default)
    {
        await gate.WaitAsync(ct);
        try
        {
            if (await IsCompleteAsync(ct))
                return ServiceResult<ApplicationUser>.Invalid("email", "Setup is already complete; sign in instead.");
            if (string.IsNullOrWhiteSpace(email) || !System.Net.Mail.MailAddress.TryCreate(email.Trim(), out _))
                return ServiceResult<ApplicationUser>.Invalid("email", "'email' must be a valid e-mail address.");

            await using var scope = scopes.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
            var db = scope.ServiceProvider.GetRequiredService<QuotaDbContext>();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var user = new ApplicationUser
            {
                UserName = email.Trim(),
                Email = email.Trim(),
                EmailConfirmed = true,
                DisplayName = string.IsNullOrWhiteSpace(displayName) ? null : displayName.Trim(),
                CreatedAt = time.GetUtcNow().UtcDateTime,
            };
            var created = await users.CreateAsync(user, password ?? "");
            if (!created.Succeeded)
                return ServiceResult<ApplicationUser>.Invalid(UserService.ToErrors(created));
            var role = await users.AddToRoleAsync(user, Roles.Admin);
            if (!role.Succeeded)
                return ServiceResult<ApplicationUser>.Invalid(UserService.ToErrors(role));
            audit.Record(db, actor, "setup.first-admin", "User", user.Id, $"First admin {user.Email} created");
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            complete = true;
            return ServiceResult<ApplicationUser>.Ok(user);
        }
        finally
        {
            gate.Release();
        }
    }
}

/// <summary>Writes the setup link to the log once the server listens, while no admin exists.</summary>
public sealed partial class SetupAnnouncer(SetupService setup, IServer server, ILogger<SetupAnnouncer> log) : IHostedLifecycleService
{
    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        if (await setup.IsCompleteAsync(cancellationToken))
            return;
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "";
        // Kestrel reports wildcard bindings as they were configured; a browser needs a host name.
        address = WildcardHost().Replace(address, "://localhost");
        FirstRun(log, $"{address.TrimEnd('/')}/setup?token={setup.Token}");
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "First run: no admin exists yet. Open {SetupUrl} to create the first admin (the token changes at every start).")]
    private static partial void FirstRun(ILogger logger, string setupUrl);

    [System.Text.RegularExpressions.GeneratedRegex(@"://(\+|\*|0\.0\.0\.0|\[::\])(?=[:/]|$)")]
    private static partial System.Text.RegularExpressions.Regex WildcardHost();

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
