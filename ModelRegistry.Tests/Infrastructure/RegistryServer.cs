using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace ModelRegistry.Tests.Infrastructure;

/// <summary>
/// The built registry (<c>dotnet ModelRegistry.Web.dll</c>) as a child process on a free loopback port, configured
/// only through environment variables like an installed server: it can be killed with SIGKILL (<see cref="Kill"/>)
/// at any moment and started again on the same data directory.
/// </summary>
public sealed partial class RegistryServer(string dataDirectory, IReadOnlyDictionary<string, string?>? settings = null) : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _output = new();
    private Process? _process;

    public string DataDirectory { get; } = dataDirectory;

    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    /// <summary>
    /// Start again on the port of the first start, so that a client that kept a URL (a tus client's URL storage, keyed by
    /// its endpoint) finds the server where it left it.
    /// </summary>
    public bool KeepPort { get; init; }

    /// <summary>The last lines the server wrote, for failure messages.</summary>
    public string RecentOutput => string.Join('\n', _output.TakeLast(40));

    /// <summary>Everything the current process has written so far (up to its last 400 lines).</summary>
    public string Output => string.Join('\n', _output);

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();

    /// <summary>Starts the server and waits until <c>/healthz</c> answers 200 (migrations and the start-up sweep are done).</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException("The server is already running.");
        }

        var start = Cli.RegistryCli.StartInfo(AppContext.BaseDirectory, DataDirectory, []);
        start.Environment["Urls"] = KeepPort && BaseAddress.Port != 80 ? $"http://127.0.0.1:{BaseAddress.Port}" : "http://127.0.0.1:0";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        _output.Clear();
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        DataReceivedEventHandler collect = (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            _output.Enqueue(e.Data);
            while (_output.Count > 400 && _output.TryDequeue(out var _))
            {
            }

            if (Listening().Match(e.Data) is { Success: true } m)
            {
                listening.TrySetResult(new Uri(m.Groups[1].Value + "/"));
            }
        };
        process.OutputDataReceived += collect;
        process.ErrorDataReceived += collect;
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException(
            $"The registry exited ({SafeExitCode(process)}) before listening:\n{RecentOutput}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        BaseAddress = await listening.Task.WaitAsync(timeout.Token);
        using var probe = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        while (true)
        {
            using var health = await probe.GetAsync("/healthz", timeout.Token);
            if (health.IsSuccessStatusCode)
            {
                return;
            }

            await Task.Delay(50, timeout.Token);
        }
    }

    /// <summary><c>kill -9</c>: the process gets no chance to flush, close or finish anything.</summary>
    public void Kill()
    {
        if (_process is not { } process)
        {
            return;
        }

        if (!process.HasExited)
        {
            process.Kill(); // SIGKILL on Linux
        }

        process.WaitForExit();
        process.Dispose();
        _process = null;
    }

    /// <summary>A client for this server acting with <paramref name="token"/>.</summary>
    public HttpClient ClientFor(string token)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        return ValueTask.CompletedTask;
    }

    private static string SafeExitCode(Process process)
    {
        try
        {
            return $"exit code {process.ExitCode}";
        }
        catch (InvalidOperationException)
        {
            return "no exit code";
        }
    }
}
