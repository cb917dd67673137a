using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace QuotaPortal.Tests;

/// <summary>The portal on a real Kestrel listener (loopback), for clients that speak HTTP to it over a socket.</summary>
public sealed partial class PortalFactory
{
    private bool sharesDatabase;

    /// <summary>Where <see cref="StartKestrel"/> listens; null before.</summary>
    public string? KestrelAddress { get; private set; }

    /// <summary>Starts Kestrel on 127.0.0.1:<paramref name="port"/> (0: a free one) and returns the base address.</summary>
    public string StartKestrel(int port = 0)
    {
        if (KestrelAddress is { } started)
            return started;
        UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        StartServer();
        return KestrelAddress = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    /// <summary>Another portal on <paramref name="owner"/>'s database (a restart); it leaves the database to its owner on dispose.</summary>
    public static PortalFactory OnDatabaseOf(PortalFactory owner) => new() { connectionString = owner.ConnectionString, sharesDatabase = true };
}
