using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace ModelRegistry.Tests.Infrastructure;

/// <summary>
/// A real OpenID Connect provider (npm <c>oidc-provider</c>, oidc/provider.mjs) on a loopback port, for the single
/// sign-on tests. Its port is chosen before it starts so that registries can be configured with it as authority; its
/// clients (one per registry, with that registry's redirect URIs) are given when it starts.
/// </summary>
public sealed class OidcProvider : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _output = new();
    private Process? _process;

    /// <summary>
    /// Below Linux's ephemeral range (32768–60999): the registries started before the provider bind port 0 and so can
    /// never be handed this port in between.
    /// </summary>
    public int Port { get; } = FreePort(20000, 32000);

    /// <summary>The issuer, exactly as the provider names itself (no trailing slash).</summary>
    public string Authority => $"http://127.0.0.1:{Port}";

    public string Output => string.Join('\n', _output);

    /// <summary>A loopback port nothing listens on now, from <paramref name="from"/> up to <paramref name="to"/> (any when both are 0).</summary>
    public static int FreePort(int from = 0, int to = 0)
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = from == 0 ? 0 : Random.Shared.Next(from, to);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return ((IPEndPoint)listener.LocalEndpoint).Port;
            }
            catch (SocketException) when (attempt < 50)
            {
            }
        }
    }

    /// <summary>A client entry for a registry at <paramref name="registryBase"/> (no trailing slash).</summary>
    public static object Client(string clientId, string secret, string registryBase) => new Dictionary<string, object>
    {
        ["client_id"] = clientId,
        ["client_secret"] = secret,
        ["redirect_uris"] = new[] { $"{registryBase}/signin-oidc" },
        ["post_logout_redirect_uris"] = new[] { $"{registryBase}/signout-callback-oidc" },
    };

    public async Task StartAsync(IEnumerable<object> clients, CancellationToken ct)
    {
        var folder = NodeTool.Folder("oidc");
        await NodeTool.EnsureRestoredAsync(folder, "oidc-provider", ct);
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("provider.mjs");
        start.Environment["PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["CLIENTS"] = JsonSerializer.Serialize(clients);
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        DataReceivedEventHandler collect = (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            _output.Enqueue(e.Data);
            if (e.Data.Contains("oidc-provider listening", StringComparison.Ordinal))
            {
                listening.TrySetResult();
            }
        };
        process.OutputDataReceived += collect;
        process.ErrorDataReceived += collect;
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"The OIDC provider exited:\n{Output}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        // Generous: at the start of a full run every fixture starts at once on two cores, and node loading
        // oidc-provider and making its RSA key has been seen to take over 30 s there (a few hundred ms alone).
        await listening.Task.WaitAsync(TimeSpan.FromMinutes(2), ct);
    }

    /// <summary>Creates or changes a test account; the next sign-in (token issue) carries these claims. Null groups: no groups claim.</summary>
    public async Task SetAccountAsync(string sub, string email, IReadOnlyList<string>? groups, string? name = null)
    {
        using var http = new HttpClient { BaseAddress = new Uri(Authority) };
        var account = new Dictionary<string, object?> { ["sub"] = sub, ["email"] = email, ["name"] = name ?? email };
        if (groups is not null)
        {
            account["groups"] = groups;
        }

        using var response = await http.PostAsJsonAsync("/test/accounts", account);
        response.EnsureSuccessStatusCode();
    }

    public ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        _process?.Dispose();
        return ValueTask.CompletedTask;
    }
}
