using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace QuotaPortal.Notifications;

/// <summary>
/// Channel credentials at rest: encrypted with ASP.NET Core Data Protection and marked <c>dp1:</c>. A value without the mark is
/// plaintext from a version before encryption: it still works, and is encrypted on the next save or start.
/// </summary>
public sealed class NotificationSecrets(IDataProtectionProvider provider)
{
    public const string Prefix = "dp1:";
    private readonly IDataProtector protector = provider.CreateProtector("QuotaPortal.Notifications.ChannelSecrets.v1");

    public static bool IsProtected([NotNullWhen(true)] string? stored) => stored?.StartsWith(Prefix, StringComparison.Ordinal) == true;

    /// <summary>The Slack and webhook URLs carry the receiver's token in their path or query, so they are credentials too.</summary>
    public static bool UrlIsSecret(ChannelKind kind) => kind is ChannelKind.Slack or ChannelKind.Webhook;

    [return: NotNullIfNotNull(nameof(plain))]
    public string? Protect(string? plain) => string.IsNullOrEmpty(plain) ? plain : Prefix + protector.Protect(plain);

    /// <summary>A stored channel with every credential encrypted (already encrypted values are left as they are).</summary>
    public NotificationChannel ProtectStored(NotificationChannel c) => c with
    {
        Secret = IsProtected(c.Secret) ? c.Secret : Protect(c.Secret),
        Url = !UrlIsSecret(c.Kind) || IsProtected(c.Url) ? c.Url : Protect(c.Url),
    };

    [return: NotNullIfNotNull(nameof(stored))]
    public string? Reveal(string? stored)
    {
        if (!IsProtected(stored))
            return stored;
        try
        {
            return protector.Unprotect(stored[Prefix.Length..]);
        }
        catch (CryptographicException ex)
        {
            throw new InvalidOperationException("A stored channel credential cannot be decrypted with this key ring (keys lost, or not shared " +
                "between instances): enter it again on the Settings page.", ex);
        }
    }
}
