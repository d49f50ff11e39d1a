using System.Collections.Concurrent;
using System.Net;
using ModelRegistry.Core.Webhooks;

namespace ModelRegistry.Tests.Infrastructure;

/// <summary>
/// DNS for webhook targets as a test says it is: a name resolves to the addresses last set for it, and can be made to
/// resolve elsewhere at any time (DNS rebinding). An unknown name does not resolve.
/// </summary>
public sealed class TestHostResolver : IWebhookHostResolver
{
    private readonly ConcurrentDictionary<string, IPAddress[]> _names = new(StringComparer.OrdinalIgnoreCase);

    public string[] this[string host]
    {
        set => _names[host] = value.Select(IPAddress.Parse).ToArray();
    }

    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct) =>
        _names.TryGetValue(host, out var addresses)
            ? Task.FromResult(addresses)
            : Task.FromException<IPAddress[]>(new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.HostNotFound));
}
