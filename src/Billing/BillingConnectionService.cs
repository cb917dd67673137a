using Microsoft.EntityFrameworkCore;
using QuotaPortal.Audit;
using QuotaPortal.Data;
using QuotaPortal.Kernel;

namespace QuotaPortal.Billing;

/// <param name="AdminKey">Write-only: null or empty on an update keeps the stored key.</param>
public sealed record BillingConnectionInput(string? Provider, string? Name, string? BaseUrl, string? AdminKey, bool Enabled = true, int? BackfillDays = null);

/// <summary>A connection as pages and the API show it: whether a key is set, never the key.</summary>
public sealed record BillingConnectionView(int Id, string Provider, string Name, string BaseUrl, bool Enabled, int BackfillDays, bool AdminKeySet,
    DateTime CreatedAt, DateTime? LastSyncAt, string? LastError, DateOnly? BackfilledFrom, int BackfillTotalDays, int BackfillDoneDays)
{
    /// <summary>0–100: how much of the first backfill is done (100 once it finished).</summary>
    public int BackfillPercent => BackfilledFrom is not null ? 100 : BackfillTotalDays == 0 ? 0 : (int)(100L * BackfillDoneDays / BackfillTotalDays);
}

/// <summary>Billing connections: admin only, audited in the same transaction, the admin key encrypted and never handed back.</summary>
public sealed class BillingConnectionService(IDbContextFactory<QuotaDbContext> dbFactory, BillingSecrets secrets, AuditLog audit, TimeProvider time,
    IHostEnvironment env, IEnumerable<IBillingConnector> connectors, Microsoft.Extensions.Options.IOptions<BillingOptions> options, BillingSync sync)
{
    public async Task<IReadOnlyList<BillingConnectionView>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Set<BillingConnection>().AsNoTracking().OrderBy(c => c.Name).ToListAsync(ct);
        return rows.Select(View).ToList();
    }

    public async Task<BillingConnectionView?> FindAsync(int id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Set<BillingConnection>().AsNoTracking().FirstOrDefaultAsync(c => c.Id == id, ct) is { } c ? View(c) : null;
    }

    public async Task<ServiceResult<BillingConnectionView>> CreateAsync(BillingConnectionInput input, AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            return ServiceResult<BillingConnectionView>.Denied();
        var errors = Validate(input, creating: true);
        if (errors.Any)
            return ServiceResult<BillingConnectionView>.Invalid(errors.ToDictionary());
        var provider = input.Provider!.Trim().ToLowerInvariant();
        var conn = new BillingConnection
        {
            Provider = provider,
            Name = input.Name!.Trim(),
            BaseUrl = BaseUrlOf(provider, input.BaseUrl),
            AdminKeyProtected = secrets.Protect(input.AdminKey!.Trim()),
            Enabled = input.Enabled,
            BackfillDays = input.BackfillDays ?? options.Value.DefaultBackfillDays,
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.Add(conn);
        await db.SaveChangesAsync(ct);
        audit.Record(db, who.Actor, "billing.connection.create", nameof(BillingConnection), conn.Id,
            $"Added {provider} billing connection {conn.Name}", after: Snapshot(conn));
        await db.SaveChangesAsync(ct);
        return ServiceResult<BillingConnectionView>.Ok(View(conn));
    }

    public async Task<ServiceResult<BillingConnectionView>> UpdateAsync(int id, BillingConnectionInput input, AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            return ServiceResult<BillingConnectionView>.Denied();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var conn = await db.Set<BillingConnection>().FirstOrDefaultAsync(c => c.Id == id, ct);
        if (conn is null)
            return ServiceResult<BillingConnectionView>.Missing();
        var errors = Validate(input, creating: false);
        if (errors.Any)
            return ServiceResult<BillingConnectionView>.Invalid(errors.ToDictionary());
        var before = Snapshot(conn);
        conn.Provider = input.Provider!.Trim().ToLowerInvariant();
        conn.Name = input.Name!.Trim();
        conn.BaseUrl = BaseUrlOf(conn.Provider, input.BaseUrl);
        conn.Enabled = input.Enabled;
        conn.BackfillDays = input.BackfillDays ?? conn.BackfillDays;
        var keyChanged = !string.IsNullOrWhiteSpace(input.AdminKey);
        if (keyChanged)
            conn.AdminKeyProtected = secrets.Protect(input.AdminKey!.Trim());
        audit.Record(db, who.Actor, "billing.connection.update", nameof(BillingConnection), conn.Id,
            $"Changed billing connection {conn.Name}{(keyChanged ? " (new admin key)" : "")}", before, Snapshot(conn));
        await db.SaveChangesAsync(ct);
        return ServiceResult<BillingConnectionView>.Ok(View(conn));
    }

    /// <summary>Removes the connection with every line pulled through it (and its project mappings).</summary>
    public async Task<ServiceResult<bool>> DeleteAsync(int id, AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            return ServiceResult<bool>.Denied();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var conn = await db.Set<BillingConnection>().FirstOrDefaultAsync(c => c.Id == id, ct);
        if (conn is null)
            return ServiceResult<bool>.Missing();
        db.Remove(conn);
        audit.Record(db, who.Actor, "billing.connection.delete", nameof(BillingConnection), conn.Id,
            $"Removed billing connection {conn.Name} and its pulled lines", before: Snapshot(conn));
        await db.SaveChangesAsync(ct);
        return ServiceResult<bool>.Ok(true);
    }

    /// <summary>Pulls now (the "Sync now" button and POST …/sync); a provider failure is the result's Error, not a failure of the call.</summary>
    public async Task<ServiceResult<BillingSyncResult>> SyncAsync(int id, AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            return ServiceResult<BillingSyncResult>.Denied();
        return await sync.SyncNowAsync(id, ct) is { } result ? ServiceResult<BillingSyncResult>.Ok(result) : ServiceResult<BillingSyncResult>.Missing();
    }

    /// <summary>Asks the provider once with the stored key.</summary>
    public async Task<ServiceResult<ConnectionTest>> TestAsync(int id, AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            return ServiceResult<ConnectionTest>.Denied();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var conn = await db.Set<BillingConnection>().AsNoTracking().FirstOrDefaultAsync(c => c.Id == id, ct);
        if (conn is null)
            return ServiceResult<ConnectionTest>.Missing();
        var connector = connectors.First(c => c.Provider == conn.Provider);
        string key;
        try
        {
            key = secrets.Reveal(conn.AdminKeyProtected);
        }
        catch (InvalidOperationException ex)
        {
            return ServiceResult<ConnectionTest>.Ok(new ConnectionTest(false, ex.Message));
        }
        var result = await connector.TestAsync(conn, key, ct);
        return ServiceResult<ConnectionTest>.Ok(result with { Message = BillingSync.Redact(result.Message, key) });
    }

    private FieldErrors Validate(BillingConnectionInput input, bool creating)
    {
        var errors = new FieldErrors();
        var provider = input.Provider?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(provider))
            errors.Add("provider", "'provider' is required: openai or anthropic.");
        else if (!BillingProviders.All.Contains(provider))
            errors.Add("provider", $"Unknown provider '{input.Provider}': use openai or anthropic.");
        errors.Require("name", input.Name, 200);
        if (!string.IsNullOrWhiteSpace(input.BaseUrl))
        {
            if (!Uri.TryCreate(input.BaseUrl.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
                || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.UserInfo))
                errors.Add("baseUrl", "'baseUrl' must be an absolute http(s) URL without query or credentials, e.g. https://api.openai.com.");
            else if (uri.Scheme != Uri.UriSchemeHttps && env.IsProduction())
                errors.Add("baseUrl", "'baseUrl' must use https in Production: the admin key travels in its headers.");
            else if (input.BaseUrl.Trim().Length > 500)
                errors.Add("baseUrl", "'baseUrl' must be at most 500 characters.");
        }
        if (creating && string.IsNullOrWhiteSpace(input.AdminKey))
            errors.Add("adminKey", "'adminKey' is required: an OpenAI admin key (sk-admin-…) or an Anthropic admin key (sk-ant-admin…).");
        else if (input.AdminKey is { Length: > 500 })
            errors.Add("adminKey", "'adminKey' must be at most 500 characters.");
        if (input.BackfillDays is < 0 or > 366)
            errors.Add("backfillDays", "'backfillDays' must be between 0 and 366.");
        return errors;
    }

    private static string BaseUrlOf(string provider, string? baseUrl) =>
        string.IsNullOrWhiteSpace(baseUrl) ? BillingProviders.DefaultBaseUrl(provider) : baseUrl.Trim().TrimEnd('/');

    // The audit row never carries the key, encrypted or not.
    private static object Snapshot(BillingConnection c) => new { c.Provider, c.Name, c.BaseUrl, c.Enabled, c.BackfillDays };

    public static BillingConnectionView View(BillingConnection c) => new(c.Id, c.Provider, c.Name, c.BaseUrl, c.Enabled, c.BackfillDays,
        BillingSecrets.IsSet(c.AdminKeyProtected), c.CreatedAt, c.LastSyncAt, c.LastError, c.BackfilledFrom, c.BackfillTotalDays, c.BackfillDoneDays);
}
