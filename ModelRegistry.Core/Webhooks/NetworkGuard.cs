using System.Net;
using System.Net.Sockets;

namespace ModelRegistry.Core.Webhooks;

/// <summary>
/// Keeps webhooks from reaching into the registry's own network (SSRF): loopback, private, link-local
/// (cloud metadata at 169.254.169.254), carrier-grade NAT, unique-local, multicast and unspecified
/// addresses are refused unless <see cref="WebhookOptions.AllowPrivateNetworks"/> is set. Checked when a
/// webhook is created and again on the resolved address of every connection, so DNS rebinding cannot
/// slip past the first check.
/// </summary>
public static class NetworkGuard
{
    /// <summary>Whether <paramref name="address"/> is an internal address a webhook must not reach.</summary>
    public static bool IsInternal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)
            || address.Equals(IPAddress.IPv6None) || address.Equals(IPAddress.Broadcast))
        {
            return true;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] switch
            {
                0 or 10 or 127 => true,                        // "this network", private, loopback
                100 => b[1] >= 64 && b[1] <= 127,              // carrier-grade NAT 100.64/10
                169 => b[1] == 254,                            // link-local, cloud metadata
                172 => b[1] >= 16 && b[1] <= 31,               // private 172.16/12
                192 => (b[1] == 168) || (b[1] == 0 && b[2] == 0), // private 192.168/16, IETF 192.0.0/24
                198 => b[1] is 18 or 19,                       // benchmarking 198.18/15
                >= 224 => true,                                // multicast and reserved
                _ => false,
            };
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var b = address.GetAddressBytes();
            return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
                || (b[0] & 0xFE) == 0xFC                       // unique-local fc00::/7
                || address.IsIPv6Teredo
                || (b[0] == 0x20 && b[1] == 0x02);             // 6to4 can embed any IPv4 address
        }

        return true;
    }

    /// <summary>Resolves <paramref name="host"/> and returns the addresses, refusing internal ones unless allowed.</summary>
    public static async Task<IPAddress[]> ResolveAllowedAsync(string host, bool allowPrivate, CancellationToken ct)
    {
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, ct);
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

/// <summary>A webhook target that must not be called.</summary>
public sealed class WebhookTargetException(string message) : Exception(message);
