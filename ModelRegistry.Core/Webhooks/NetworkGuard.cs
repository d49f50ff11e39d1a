using System.Net;
using System.Net.Sockets;

namespace ModelRegistry.Core.Webhooks;

/// <summary>
/// Keeps webhooks from reaching into the registry's own network (SSRF): loopback, private, link-local
/// (cloud metadata at 169.254.169.254), carrier-grade NAT, unique-local, multicast, unspecified and reserved
/// addresses are refused unless <see cref="WebhookOptions.AllowPrivateNetworks"/> is set — in every spelling IPv6 has
/// for an IPv4 address. Checked when a webhook is created and again at delivery, on every address the name resolves
/// to then, and the connection goes only to those checked addresses (<see cref="WebhookDispatcher.CreateHandler"/>),
/// so DNS rebinding cannot slip past the first check.
/// </summary>
public static class NetworkGuard
{
    /// <summary>Whether <paramref name="address"/> is an internal or reserved address a webhook must not reach.</summary>
    public static bool IsInternal(IPAddress address) => address.AddressFamily switch
    {
        AddressFamily.InterNetwork => IsInternalV4(address.GetAddressBytes()),
        AddressFamily.InterNetworkV6 => IsInternalV6(address.GetAddressBytes()),
        _ => true,
    };

    private static bool IsInternalV4(ReadOnlySpan<byte> b) => b[0] switch
    {
        0 or 10 or 127 => true,                                   // "this network", private, loopback
        100 => b[1] >= 64 && b[1] <= 127,                         // carrier-grade NAT 100.64/10
        169 => b[1] == 254,                                       // link-local, cloud metadata
        172 => b[1] >= 16 && b[1] <= 31,                          // private 172.16/12
        192 => b[1] == 168                                        // private 192.168/16
            || (b[1] == 0 && b[2] is 0 or 2)                      // IETF 192.0.0/24, documentation 192.0.2/24
            || (b[1] == 88 && b[2] == 99),                        // 6to4 relay anycast 192.88.99/24
        198 => b[1] is 18 or 19                                   // benchmarking 198.18/15
            || (b[1] == 51 && b[2] == 100),                       // documentation 198.51.100/24
        203 => b[1] == 0 && b[2] == 113,                          // documentation 203.0.113/24
        >= 224 => true,                                           // multicast, reserved, broadcast
        _ => false,
    };

    /// <summary>
    /// IPv6 is judged by what it reaches. The forms that carry an IPv4 address and are routed to it — IPv4-mapped
    /// <c>::ffff:a.b.c.d</c>, IPv4-translated <c>::ffff:0:a.b.c.d</c>, NAT64 <c>64:ff9b::a.b.c.d</c>, 6to4
    /// <c>2002:AABB:CCDD::</c> — are judged by that IPv4 address. Everything else must be global unicast (2000::/3), which
    /// leaves out unspecified, loopback, IPv4-compatible <c>::a.b.c.d</c> (deprecated, and sent as IPv4 by some stacks),
    /// local-use NAT64 64:ff9b:1::/48, discard 100::/64, unique-local fc00::/7, link- and site-local fe80::/9 and
    /// multicast ff00::/8; within it Teredo (2001::/32, a tunnel to an IPv4 address it hides), benchmarking (2001:2::/48)
    /// and documentation (2001:db8::/32, 3fff::/20) are refused too.
    /// </summary>
    private static bool IsInternalV6(ReadOnlySpan<byte> b)
    {
        if (b[..10].IndexOfAnyExcept((byte)0) < 0 && b[10] == 0xFF && b[11] == 0xFF)
        {
            return IsInternalV4(b[12..]);                         // ::ffff:a.b.c.d, mapped
        }

        if (b[..8].IndexOfAnyExcept((byte)0) < 0 && b[8] == 0xFF && b[9] == 0xFF && b[10] == 0 && b[11] == 0)
        {
            return IsInternalV4(b[12..]);                         // ::ffff:0:a.b.c.d, translated (SIIT)
        }

        if (b[0] == 0 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && b[4..12].IndexOfAnyExcept((byte)0) < 0)
        {
            return IsInternalV4(b[12..]);                         // 64:ff9b::a.b.c.d, NAT64 well-known prefix
        }

        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return IsInternalV4(b[2..6]);                         // 2002:AABB:CCDD::/48, 6to4
        }

        if ((b[0] & 0xE0) != 0x20)
        {
            return true;                                          // not global unicast 2000::/3
        }

        return (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)              // Teredo 2001::/32
            || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0x02 && b[4] == 0 && b[5] == 0) // benchmarking 2001:2::/48
            || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8)         // documentation 2001:db8::/32
            || (b[0] == 0x3F && b[1] == 0xFF && (b[2] & 0xF0) == 0);                 // documentation 3fff::/20
    }

    /// <summary>
    /// Resolves <paramref name="host"/> and returns every address it resolves to, refusing the name if any of them is
    /// internal (unless allowed): the caller connects only to the addresses returned.
    /// </summary>
    public static async Task<IPAddress[]> ResolveAllowedAsync(string host, bool allowPrivate, IWebhookHostResolver resolver,
        CancellationToken ct)
    {
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
            ? [literal]
            : await resolver.ResolveAsync(host, ct);
        if (addresses.Length == 0)
        {
            throw new WebhookTargetException($"'{host}' does not resolve to any address.");
        }

        if (!allowPrivate && addresses.FirstOrDefault(IsInternal) is { } blocked)
        {
            throw new WebhookTargetException(
                $"'{host}' resolves to {blocked}, an internal address. Webhooks may only call public addresses " +
                "(set Registry:Webhooks:AllowPrivateNetworks to allow internal ones).");
        }

        return addresses;
    }
}

/// <summary>Resolves the host names of webhook targets (DNS; tests stand in for it).</summary>
public interface IWebhookHostResolver
{
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct);
}

/// <summary>The system's resolver.</summary>
public sealed class DnsHostResolver : IWebhookHostResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct) => Dns.GetHostAddressesAsync(host, ct);
}

/// <summary>A webhook target that must not be called.</summary>
public sealed class WebhookTargetException(string message) : Exception(message);
