using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Audit;
using QuotaPortal.Data;
using QuotaPortal.Infrastructure;
using QuotaPortal.Teams;

namespace QuotaPortal.ApiKeys;

public sealed record ApiKeyView(int Id, string Name, string Prefix, string Scope, DateTime CreatedAt, string? CreatedBy,
    DateTime? ExpiresAt, DateTime? RevokedAt, DateTime? LastUsedAt)
{
    public string Status(DateTime now) => RevokedAt is not null ? "revoked" : ExpiresAt <= now ? "expired" : "active";
}

public sealed record CreatedApiKey(ApiKeyView Key, string Secret);

/// <summary>What a presented key is allowed to do; cached briefly so ingestion does not query per request.</summary>
public sealed record ApiKeyGrant(int KeyId, string Name, string Scope, int? TeamId, string? TeamSlug, DateTime? ExpiresAt)
{
    public bool IsAdmin => Scope == ApiKeyScopes.Admin;
    public bool CanIngest(int teamId) => IsAdmin || Scope == ApiKeyScopes.IngestAll || TeamId == teamId;
}

public static class ApiKeyScopes
{
    public const string Admin = "admin";
    public const string IngestAll = "ingest:*";
    public const string IngestPrefix = "ingest:";
}

/// <summary>
/// Machine credentials. A key looks like qp_&lt;8 hex prefix&gt;_&lt;secret&gt;; only its SHA-256 is stored and the prefix
/// finds the row. The secret is shown once, at creation.
/// </summary>
public sealed class ApiKeyService(IDbContextFactory<QuotaDbContext> dbFactory, AuditLog audit, TimeProvider time)
{
    private const string KeyStart = "qp_";
    private readonly Dictionary<string, (ApiKeyGrant? Grant, string Hash, DateTime CachedAt)> cache = new(StringComparer.Ordinal);
    private readonly Lock cacheLock = new();
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    public async Task<IReadOnlyList<ApiKeyView>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ApiKeys.AsNoTracking().OrderByDescending(k => k.CreatedAt)
            .Select(k => new ApiKeyView(k.Id, k.Name, k.Prefix, k.Scope, k.CreatedAt, k.CreatedBy, k.ExpiresAt, k.RevokedAt, k.LastUsedAt))
            .ToListAsync(ct);
    }

    public async Task<ServiceResult<CreatedApiKey>> CreateAsync(string name, string scope, DateTime? expiresAtUtc, string actor, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var errors = new FieldErrors().Require("name", name, 100);
        scope = (scope ?? "").Trim();
        if (scope != ApiKeyScopes.Admin && scope != ApiKeyScopes.IngestAll)
        {
            var slug = scope.StartsWith(ApiKeyScopes.IngestPrefix, StringComparison.Ordinal) ? scope[ApiKeyScopes.IngestPrefix.Length..] : null;
            if (slug is null || !Slug.IsValid(slug))
                errors.Add("scope", "'scope' must be 'admin', 'ingest:*' or 'ingest:<team-slug>'.");
            else if (!await db.Teams.AnyAsync(t => t.Slug == slug && t.ArchivedAt == null, ct))
                errors.Add("scope", $"No active team with slug '{slug}'.");
        }
        var now = time.GetUtcNow().UtcDateTime;
        if (expiresAtUtc is { } exp && exp <= now)
            errors.Add("expiresAt", "'expiresAt' must be in the future.");
        if (errors.Any)
            return ServiceResult<CreatedApiKey>.Invalid(errors.ToDictionary());

        var prefix = KeyStart + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var secret = prefix + "_" + Base64Url(RandomNumberGenerator.GetBytes(24));
        var key = new ApiKey
        {
            Name = name.Trim(),
            Prefix = prefix,
            SecretHash = Hash(secret),
            Scope = scope,
            CreatedAt = now,
            CreatedBy = actor,
            ExpiresAt = expiresAtUtc,
        };
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync(ct);
        audit.Record(db, actor, "apikey.create", "ApiKey", key.Id, $"Created API key {key.Name} ({key.Prefix}…) with scope {scope}",
            after: new { key.Name, key.Prefix, key.Scope, key.ExpiresAt });
        await db.SaveChangesAsync(ct);
        return ServiceResult<CreatedApiKey>.Ok(new CreatedApiKey(ToView(key), secret));
    }

    public async Task<ServiceResult<ApiKeyView>> RevokeAsync(int id, string actor, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id, ct);
        if (key is null)
            return ServiceResult<ApiKeyView>.Missing();
        if (key.RevokedAt is null)
        {
            key.RevokedAt = time.GetUtcNow().UtcDateTime;
            key.RevokedBy = actor;
            audit.Record(db, actor, "apikey.revoke", "ApiKey", key.Id, $"Revoked API key {key.Name} ({key.Prefix}…)");
            await db.SaveChangesAsync(ct);
            lock (cacheLock)
                cache.Remove(key.Prefix);
        }
        return ServiceResult<ApiKeyView>.Ok(ToView(key));
    }

    /// <summary>The grant for a presented secret, or null when unknown, wrong, revoked or expired.</summary>
    public async Task<ApiKeyGrant?> AuthenticateAsync(string presented, CancellationToken ct = default)
    {
        var underscore = presented.IndexOf('_', KeyStart.Length);
        if (!presented.StartsWith(KeyStart, StringComparison.Ordinal) || underscore < 0)
            return null;
        var prefix = presented[..underscore];
        var now = time.GetUtcNow().UtcDateTime;
        (ApiKeyGrant? Grant, string Hash, DateTime CachedAt) entry;
        bool cached;
        lock (cacheLock)
            cached = cache.TryGetValue(prefix, out entry) && now - entry.CachedAt < CacheFor;
        if (!cached)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var key = await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Prefix == prefix, ct);
            if (key is null || key.RevokedAt is not null)
            {
                entry = (null, "", now);
            }
            else
            {
                var slug = key.Scope.StartsWith(ApiKeyScopes.IngestPrefix, StringComparison.Ordinal) && key.Scope != ApiKeyScopes.IngestAll
                    ? key.Scope[ApiKeyScopes.IngestPrefix.Length..] : null;
                int? teamId = slug is null ? null : await db.Teams.Where(t => t.Slug == slug).Select(t => (int?)t.Id).FirstOrDefaultAsync(ct) ?? -1;
                entry = (new ApiKeyGrant(key.Id, key.Name, key.Scope, teamId, slug, key.ExpiresAt), key.SecretHash, now);
                if (key.LastUsedAt is null || now - key.LastUsedAt > LastUsedResolution)
                    await db.ApiKeys.Where(k => k.Id == key.Id).ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, now), ct);
            }
            lock (cacheLock)
                cache[prefix] = entry;
        }
        if (entry.Grant is null || entry.Grant.ExpiresAt <= now)
            return null;
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(presented)), Encoding.ASCII.GetBytes(entry.Hash))
            ? entry.Grant
            : null;
    }

    private static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static ApiKeyView ToView(ApiKey k) => new(k.Id, k.Name, k.Prefix, k.Scope, k.CreatedAt, k.CreatedBy, k.ExpiresAt, k.RevokedAt, k.LastUsedAt);
}
