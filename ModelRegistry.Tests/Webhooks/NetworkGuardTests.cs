using System.Net;
using ModelRegistry.Core.Webhooks;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Webhooks;

/// <summary>
/// Which addresses a webhook may reach. IPv6 has several ways to spell an IPv4 address (mapped, compatible, translated,
/// NAT64, 6to4): each is judged by the IPv4 address inside it where something routes to that address, and refused
/// outright where nothing legitimate does.
/// </summary>
public sealed class NetworkGuardTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    // IPv4: this network, private, loopback, carrier-grade NAT, link-local (cloud metadata), IETF, documentation,
    // benchmarking, multicast, reserved, broadcast.
    [InlineData("0.0.0.0")]
    [InlineData("10.1.2.3")]
    [InlineData("127.0.0.1")]
    [InlineData("127.255.0.9")]
    [InlineData("100.64.0.1")]
    [InlineData("169.254.169.254")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.254")]
    [InlineData("192.168.1.1")]
    [InlineData("192.0.0.8")]
    [InlineData("192.0.2.1")]
    [InlineData("198.51.100.7")]
    [InlineData("203.0.113.9")]
    [InlineData("198.18.0.1")]
    [InlineData("224.0.0.1")]
    [InlineData("240.0.0.1")]
    [InlineData("255.255.255.255")]
    // IPv6: unspecified, loopback, multicast, link-local, site-local, unique local.
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("ff02::1")]
    [InlineData("ff0e::101")]
    [InlineData("fe80::1")]
    [InlineData("fe80::1%2")]
    [InlineData("febf::1")]
    [InlineData("fec0::1")]
    [InlineData("fc00::1")]
    [InlineData("fd12:3456:789a::1")]
    // IPv4-mapped ::ffff:a.b.c.d, judged by the IPv4 address.
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("::ffff:0.0.0.0")]
    // IPv4-compatible ::a.b.c.d (deprecated; some stacks send it as IPv4): refused whatever it embeds.
    [InlineData("::127.0.0.1")]
    [InlineData("::10.0.0.1")]
    [InlineData("::169.254.169.254")]
    [InlineData("::8.8.8.8")]
    // IPv4-translated ::ffff:0:a.b.c.d (SIIT), judged by the IPv4 address.
    [InlineData("::ffff:0:127.0.0.1")]
    [InlineData("::ffff:0:192.168.0.1")]
    // NAT64 64:ff9b::/96, judged by the IPv4 address; the local-use prefix 64:ff9b:1::/48 is internal by definition.
    [InlineData("64:ff9b::127.0.0.1")]
    [InlineData("64:ff9b::10.0.0.1")]
    [InlineData("64:ff9b::169.254.169.254")]
    [InlineData("64:ff9b:1::a00:1")]
    [InlineData("64:ff9b:1::808:808")]
    // 6to4 2002:AABB:CCDD::/48 embeds AA.BB.CC.DD.
    [InlineData("2002:7f00:1::1")]
    [InlineData("2002:a00:1::")]
    [InlineData("2002:c0a8:101::1")]
    [InlineData("2002:a9fe:a9fe::1")]
    // Teredo (embeds a server and an obfuscated client IPv4), documentation, benchmarking, discard-only, and anything
    // outside global unicast 2000::/3 (reserved space).
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2")]
    [InlineData("2001:db8::1")]
    [InlineData("3fff::1")]
    [InlineData("2001:2::1")]
    [InlineData("100::1")]
    [InlineData("4000::1")]
    [InlineData("::2")]
    public void Internal_or_reserved_address_is_refused(string address)
    {
        Assert.True(NetworkGuard.IsInternal(IPAddress.Parse(address)), $"{address} should be refused");
    }

    [Theory]
    [InlineData("93.184.216.34")]
    [InlineData("8.8.8.8")]
    [InlineData("1.1.1.1")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("2a00:1450:4001:81c::200e")]
    // The same embedding forms with a public IPv4 address inside: they route to that public address.
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("::ffff:0:8.8.8.8")]
    [InlineData("64:ff9b::8.8.8.8")]
    [InlineData("64:ff9b::93.184.216.34")]
    [InlineData("2002:808:808::1")]
    public void Public_address_is_allowed(string address)
    {
        Assert.False(NetworkGuard.IsInternal(IPAddress.Parse(address)), $"{address} should be allowed");
    }

    [Fact]
    public async Task A_name_is_refused_when_any_address_it_resolves_to_is_internal()
    {
        var dns = new TestHostResolver { ["mixed.example.test"] = ["93.184.216.34", "64:ff9b::a00:1"] };

        var refused = await Assert.ThrowsAsync<WebhookTargetException>(() =>
            NetworkGuard.ResolveAllowedAsync("mixed.example.test", allowPrivate: false, dns, Ct));

        Assert.Contains("64:ff9b::a00:1", refused.Message);
        Assert.Equal(2, (await NetworkGuard.ResolveAllowedAsync("mixed.example.test", allowPrivate: true, dns, Ct)).Length);
    }
}
