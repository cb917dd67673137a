using System.ComponentModel.DataAnnotations;
using System.Net;

using QuotaPortal.Kernel;

namespace QuotaPortal.Composition;

/// <summary>
/// Which reverse proxies may tell the portal the client's address, scheme and host (X-Forwarded-For/-Proto/-Host).
/// Loopback is always trusted (a proxy on the same machine); anything else must be listed, or the headers are ignored.
/// </summary>
public sealed class ReverseProxyOptions : IValidatableObject
{
    public const string Section = "ReverseProxy";

    /// <summary>Single addresses, e.g. "10.0.0.5" or "fd00::5".</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>CIDR ranges, e.g. "10.0.0.0/8" or "fd00::/8".</summary>
    public List<string> KnownNetworks { get; set; } = [];

    public IEnumerable<IPAddress> ProxyAddresses() => KnownProxies.Select(p => IPAddress.Parse(p.Trim()));

    public IEnumerable<System.Net.IPNetwork> Networks() => KnownNetworks.Select(n => System.Net.IPNetwork.Parse(n.Trim()));

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        for (var i = 0; i < KnownProxies.Count; i++)
        {
            if (!IPAddress.TryParse(KnownProxies[i]?.Trim(), out _))
                yield return new ValidationResult($"'{Section}:{nameof(KnownProxies)}:{i}' must be an IP address, not '{KnownProxies[i]}'.",
                    [nameof(KnownProxies)]);
        }
        for (var i = 0; i < KnownNetworks.Count; i++)
        {
            if (!System.Net.IPNetwork.TryParse(KnownNetworks[i]?.Trim(), out _))
                yield return new ValidationResult($"'{Section}:{nameof(KnownNetworks)}:{i}' must be a CIDR range such as 10.0.0.0/8, not '{KnownNetworks[i]}'.",
                    [nameof(KnownNetworks)]);
        }
    }
}

/// <summary>Per-client-address limit on sign-in (and setup) form posts, against password guessing from one address.</summary>
public sealed class SignInLimitOptions
{
    public const string Section = "SignInLimit";

    [Range(1, 100_000)]
    public int AttemptsPerMinute { get; set; } = 10;
}
