using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace QuotaPortal.Billing;

/// <summary>Admin keys at rest: encrypted with the shared Data Protection key ring and marked <c>dp1:</c>, as the channel secrets are.</summary>
public sealed class BillingSecrets(IDataProtectionProvider provider)
{
    public const string Prefix = "dp1:";
    private readonly IDataProtector protector = provider.CreateProtector("QuotaPortal.Billing.AdminKeys.v1");

    public string Protect(string plain) => Prefix + protector.Protect(plain);

    public static bool IsSet([NotNullWhen(true)] string? stored) => !string.IsNullOrEmpty(stored);

    public string Reveal(string stored)
    {
        if (!stored.StartsWith(Prefix, StringComparison.Ordinal))
            throw new InvalidOperationException("The stored admin key is not encrypted: enter it again on the Billing connections page.");
        try
        {
            return protector.Unprotect(stored[Prefix.Length..]);
        }
        catch (CryptographicException ex)
        {
            throw new InvalidOperationException("The stored admin key cannot be decrypted with this key ring (keys lost, or not shared " +
                "between instances): enter it again on the Billing connections page.", ex);
        }
    }
}
