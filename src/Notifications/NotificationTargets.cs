using System.Net;
using System.Net.Sockets;

namespace QuotaPortal.Notifications;

/// <summary>A receiver address that the portal will not connect to (loopback, link-local, private) while private targets are off.</summary>
public sealed class TargetRefusedException(string message) : HttpRequestException(message);

/// <summary>
/// Guards every connection the portal makes to a notification receiver (HTTP and SMTP) against server-side request forgery:
/// the host is resolved here, every address is checked, and the socket connects to exactly those checked addresses, so a
/// name that resolves to a public address at save time and to 169.254.169.254 at send time (DNS rebinding) is still refused.
/// </summary>
public static class NotificationTargets
{
    public static bool IsPrivate(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] switch
            {
                0 or 10 or 127 => true,                 // "this network" (0.0.0.0), private, loopback
                100 => b[1] is >= 64 and <= 127,        // carrier-grade NAT 100.64/10
                169 => b[1] == 254,                     // link-local, cloud metadata 169.254.169.254
                172 => b[1] is >= 16 and <= 31,         // private 172.16/12
                192 => b[1] == 168 || (b[1] == 0 && b[2] == 0), // private 192.168/16, IETF 192.0.0/24
                >= 224 => true,                         // multicast, reserved, broadcast
                _ => false,
            };
        }
        if (address.Equals(IPAddress.IPv6Loopback) || address.Equals(IPAddress.IPv6None) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal
            || address.IsIPv6Multicast || address.IsIPv6UniqueLocal)
            return true;
        var v6 = address.GetAddressBytes();
        // 64:ff9b::/96 (NAT64) and ::/96 (IPv4-compatible) carry an IPv4 address in the last four bytes.
        if ((v6[0] == 0 && v6[1] == 0x64 && v6[2] == 0xff && v6[3] == 0x9b && v6.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0)
            || v6.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0)
            return IsPrivate(new IPAddress(v6.AsSpan(12, 4)));
        return false;
    }

    /// <summary>For save-time validation: a literal private IP or a localhost name (names are checked again when connecting).</summary>
    public static bool IsObviouslyPrivate(string host) =>
        IPAddress.TryParse(host.Trim('[', ']'), out var ip) ? IsPrivate(ip)
            : host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);

    public static TargetRefusedException Refused(string host, string address) =>
        new($"Refused to connect to {host} ({address}): a loopback, link-local or private address. " +
            $"Set {NotificationOptions.Section}:{nameof(NotificationOptions.AllowPrivateTargets)} to allow on-premises receivers.");

    /// <summary>Resolves <paramref name="host"/>, refuses private addresses unless allowed, and connects to the checked addresses.</summary>
    public static async Task<Socket> ConnectAsync(string host, int port, bool allowPrivate, CancellationToken ct)
    {
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        if (addresses.Length == 0)
            throw new HttpRequestException($"{host} does not resolve.");
        if (!allowPrivate && addresses.FirstOrDefault(IsPrivate) is { } blocked)
            throw Refused(host, blocked.ToString());
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, port, ct);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The primary handler of the notification HttpClient: guarded connect, no redirects (a 3xx could point inside), no proxy.</summary>
    public static SocketsHttpHandler CreateHandler(bool allowPrivate) => new()
    {
        AllowAutoRedirect = false,
        // A proxy would be the only address checked; receivers are reached directly.
        UseProxy = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectCallback = async (context, ct) =>
            new NetworkStream(await ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, allowPrivate, ct), ownsSocket: true),
    };
}
