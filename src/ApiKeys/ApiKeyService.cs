using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Audit;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;

namespace QuotaPortal.ApiKeys;

public sealed record ApiKeyView(int Id, string Name, string Prefix, string Scope, DateTime CreatedAt, string? CreatedBy,
    DateTime? ExpiresAt, DateTime? RevokedAt, DateTime? LastUsedAt)
{
    public string Status(DateTime now) => RevokedAt is not null ? "revoked" : ExpiresAt <= now ? "expired" : "active";
}

public sealed record CreatedApiKey(ApiKeyView Key, string Secret);

/// <summary>What a presented key is allowed to do; cached briefly so ingestion does not query per request.</summary>
/// <param name="TeamId">The bound team (by id) of a team-scoped key; -1 when that team no longer exists.</param>
/// <param name="TeamSlug">That team's slug now (it follows renames).</param>
public sealed record ApiKeyGrant(int KeyId, string Name, string Scope, int? TeamId, string? TeamSlug, DateTime? ExpiresAt)
{
    public bool IsAdmin => Scope == ApiKeyScopes.Admin;
    public bool IsIngest => Scope.StartsWith(ApiKeyScopes.IngestPrefix, StringComparison.Ordinal);
    public bool CanIngest(int teamId) => IsAdmin || Scope == ApiKeyScopes.IngestAll || (IsIngest && TeamId == teamId);
}

/// <summary>
/// Key scopes. Writing: <c>ingest:&lt;team&gt;</c>, <c>ingest:*</c>, <c>admin</c>. Reading: <c>read:&lt;team&gt;</c> and <c>ingest:&lt;team&gt;</c> see
/// that team's rows only; <c>read:*</c> reads what an org-wide Viewer reads; <c>ingest:*</c> (a gateway's key) may only ask the quota
/// endpoints, for any team, and reads no spend; <c>admin</c> acts as an Admin user.
/// </summary>
public static class ApiKeyScopes
{
    public const string Admin = "admin";
    public const string IngestAll = "ingest:*";
    public const string ReadAll = "read:*";
    public const string IngestPrefix = "ingest:";
    public const string ReadPrefix = "read:";

    /// <summary>The team slug of a team-scoped scope ("ingest:search" → "search"), or null.</summary>
    public static string? TeamSlugOf(string scope) => scope switch
    {
        Admin or IngestAll or ReadAll => null,
        _ when scope.StartsWith(IngestPrefix, StringComparison.Ordinal) => scope[IngestPrefix.Length..],
        _ when scope.StartsWith(ReadPrefix, StringComparison.Ordinal) => scope[ReadPrefix.Length..],
        _ => null,
    };

    /// <summary>"ingest" or "read" for a team-scoped scope.</summary>
    public static string KindOf(string scope) => scope.StartsWith(ReadPrefix, StringComparison.Ordinal) ? "read" : "ingest";
}

/// <summary>
/// Machine credentials. A key looks like qp_&lt;8 hex prefix&gt;_&lt;secret&gt;; only its SHA-256 is stored and the prefix
/// finds the row. The secret is shown once, at creation.
/// </summary>
public sealed class ApiKeyService(IDbContextFactory<QuotaDbContext> dbFactory, AuditLog audit, TimeProvider time)
{
    private const string KeyStart = "qp_";
    private const int PrefixHexLength = 8;
    private const int SecretLength = 32;
    /// <summary>Only keys that exist are cached (at most one entry per key row), so random prefixes cannot grow memory.</summary>
    private readonly Dictionary<string, (ApiKeyGrant Grant, string Hash, DateTime CachedAt)> cache = new(StringComparer.Ordinal);
    private readonly Lock cacheLock = new();
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    public async Task<IReadOnlyList<ApiKeyView>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var slugs = await db.Teams.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.Slug, ct);
        return (await db.ApiKeys.AsNoTracking().OrderByDescending(k => k.CreatedAt).ToListAsync(ct))
            .Select(k => ToView(k, slugs))
            .ToList();
    }

    public async Task<ServiceResult<CreatedApiKey>> CreateAsync(string name, string scope, DateTime? expiresAtUtc, AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            return ServiceResult<CreatedApiKey>.Denied();
        var actor = who.Actor;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var errors = new FieldErrors().Require("name", name, 100);
        scope = (scope ?? "").Trim();
        int? teamId = null;
        string? teamSlug = null;
        if (scope is not (ApiKeyScopes.Admin or ApiKeyScopes.IngestAll or ApiKeyScopes.ReadAll))
        {
            var slug = ApiKeyScopes.TeamSlugOf(scope);
            if (slug is null || !Slug.IsValid(slug))
                errors.Add("scope", "'scope' must be 'admin', 'ingest:*', 'read:*', 'ingest:<team-slug>' or 'read:<team-slug>'.");
            else if (await db.Teams.AsNoTracking().FirstOrDefaultAsync(t => t.Slug == slug && t.ArchivedAt == null, ct) is not { } team)
                errors.Add("scope", $"No active team with slug '{slug}'.");
            else
                (teamId, teamSlug) = (team.Id, team.Slug);
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
            TeamId = teamId,
            CreatedAt = now,
            CreatedBy = actor,
            ExpiresAt = expiresAtUtc,
        };
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync(ct);
        audit.Record(db, actor, "apikey.create", "ApiKey", key.Id, $"Created API key {key.Name} ({key.Prefix}…) with scope {scope}",
            after: new { key.Name, key.Prefix, key.Scope, key.ExpiresAt });
        await db.SaveChangesAsync(ct);
        var slugs = teamId is { } id ? new Dictionary<int, string> { [id] = teamSlug! } : [];
        return ServiceResult<CreatedApiKey>.Ok(new CreatedApiKey(ToView(key, slugs), secret));
    }

    public async Task<ServiceResult<ApiKeyView>> RevokeAsync(int id, AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            return ServiceResult<ApiKeyView>.Denied();
        var actor = who.Actor;
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
        var slugs = await db.Teams.AsNoTracking().Where(t => t.Id == key.TeamId).ToDictionaryAsync(t => t.Id, t => t.Slug, ct);
        return ServiceResult<ApiKeyView>.Ok(ToView(key, slugs));
    }

    /// <summary>Drops every cached grant: the next request of each key reads its row again.</summary>
    public void ForgetCachedGrants()
    {
        lock (cacheLock)
            cache.Clear();
    }

    /// <summary>How many grants are cached (one per key that authenticated recently); random prefixes never add one.</summary>
    internal int CachedGrants
    {
        get
        {
            lock (cacheLock)
                return cache.Count;
        }
    }

    /// <summary>The shape every key this service issues has: qp_ + 8 lowercase hex + _ + 32 base64url characters.</summary>
    public static bool IsWellFormed(string presented)
    {
        if (presented.Length != KeyStart.Length + PrefixHexLength + 1 + SecretLength || !presented.StartsWith(KeyStart, StringComparison.Ordinal)
            || presented[KeyStart.Length + PrefixHexLength] != '_')
            return false;
        foreach (var c in presented.AsSpan(KeyStart.Length, PrefixHexLength))
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
                return false;
        foreach (var c in presented.AsSpan(KeyStart.Length + PrefixHexLength + 1))
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '-' or '_'))
                return false;
        return true;
    }

    /// <summary>The grant for a presented secret, or null when malformed, unknown, wrong, revoked or expired.</summary>
    public async Task<ApiKeyGrant?> AuthenticateAsync(string presented, CancellationToken ct = default)
    {
        // A malformed key costs no lookup and no memory.
        if (!IsWellFormed(presented))
            return null;
        var prefix = presented[..(KeyStart.Length + PrefixHexLength)];
        var now = time.GetUtcNow().UtcDateTime;
        (ApiKeyGrant Grant, string Hash, DateTime CachedAt) entry;
        bool cached;
        lock (cacheLock)
            cached = cache.TryGetValue(prefix, out entry) && now - entry.CachedAt < CacheFor;
        if (!cached)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var key = await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Prefix == prefix, ct);
            if (key is null || key.RevokedAt is not null)
            {
                lock (cacheLock)
                    cache.Remove(prefix);
                return null;
            }
            string? slug = null;
            int? teamId = null;
            if (ApiKeyScopes.TeamSlugOf(key.Scope) is not null)
            {
                // Bound by id: a key whose team is gone matches no team (-1), whatever team now carries the old slug.
                slug = key.TeamId is { } id ? await db.Teams.Where(t => t.Id == id).Select(t => t.Slug).FirstOrDefaultAsync(ct) : null;
                teamId = slug is null ? -1 : key.TeamId;
            }
            entry = (new ApiKeyGrant(key.Id, key.Name, key.Scope, teamId, slug, key.ExpiresAt), key.SecretHash, now);
            if (key.LastUsedAt is null || now - key.LastUsedAt > LastUsedResolution)
                await db.ApiKeys.Where(k => k.Id == key.Id).ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, now), ct);
            lock (cacheLock)
                cache[prefix] = entry;
        }
        if (entry.Grant.ExpiresAt <= now)
            return null;
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(presented)), Encoding.ASCII.GetBytes(entry.Hash))
            ? entry.Grant
            : null;
    }

    private static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>A team-scoped key shows its team's slug as it is now (keys follow the team id).</summary>
    private static ApiKeyView ToView(ApiKey k, IReadOnlyDictionary<int, string> slugs)
    {
        var scope = k.TeamId is { } id ? $"{ApiKeyScopes.KindOf(k.Scope)}:{slugs.GetValueOrDefault(id, $"#{id}")}" : k.Scope;
        return new(k.Id, k.Name, k.Prefix, scope, k.CreatedAt, k.CreatedBy, k.ExpiresAt, k.RevokedAt, k.LastUsedAt);
    }
}
