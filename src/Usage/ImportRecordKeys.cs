using System.Globalization;
using System.Security.Cryptography;
using System.Text;

using QuotaPortal.Kernel;

namespace QuotaPortal.Usage;

/// <summary>
/// Gives every imported record without an <c>idempotencyKey</c> a deterministic one, so files that overlap (an export of
/// Nov 1–15, then one of Nov 10–30) count the overlap once: the unique (team, idempotency key) index drops the repeats.
/// The key hashes what identifies a call — when (to the millisecond, as exports write it), team, provider, model, API method,
/// agent/task/workspace/prompt hash, token counts, requests, cost, success, error code and duration — plus the record's
/// occurrence number among identical records in the same file, so two genuinely identical calls in one file both count
/// while the same two in an overlapping file are recognised. Tags are left out: they annotate a call, and exporters may
/// reorder or reformat them.
/// </summary>
public sealed class ImportRecordKeys
{
    public const string Prefix = "import:";
    private readonly Dictionary<UInt128, int> seen = [];

    public void Assign(IEnumerable<UsageInput> records)
    {
        foreach (var r in records)
        {
            if (!string.IsNullOrWhiteSpace(r.IdempotencyKey))
                continue;
            var hash = Identity(r);
            ref var count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(seen, hash, out _);
            var occurrence = count++;
            var hex = hash.ToString("x32", CultureInfo.InvariantCulture);
            r.IdempotencyKey = occurrence == 0 ? Prefix + hex : $"{Prefix}{hex}:{occurrence}";
        }
    }

    private static UInt128 Identity(UsageInput r)
    {
        var ts = r.Timestamp?.UtcDateTime is { } utc ? utc.AddTicks(-(utc.Ticks % TimeSpan.TicksPerMillisecond)).ToString("O", CultureInfo.InvariantCulture) : "";
        var success = r.Success ?? string.IsNullOrWhiteSpace(r.ErrorCode);
        var fields = string.Join('\u001f', ts, T(r.Team), T(r.Provider).ToLowerInvariant(), T(r.Model), T(r.ApiMethod), T(r.AgentId), T(r.TaskId),
            T(r.WorkspaceId), T(r.PromptHash), N(r.InputTokens ?? 0), N(r.OutputTokens ?? 0), N(r.CachedInputTokens ?? 0), N(r.ReasoningTokens ?? 0),
            N(r.Requests ?? 1), r.Cost is { } c ? N(Money.ToNanos(c)) : "", success ? "1" : "0", T(r.ErrorCode), r.DurationMs is { } d ? N(d) : "");
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(fields), digest);
        return new UInt128(BitConverter.ToUInt64(digest[..8]), BitConverter.ToUInt64(digest[8..16]));
    }

    private static string T(string? s) => s?.Trim() ?? "";
    private static string N(long n) => n.ToString(CultureInfo.InvariantCulture);
}
