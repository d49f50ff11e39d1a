using System.Security.Cryptography;
using System.Text.Json;
using ModelRegistry.Client;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Mreg;

/// <summary>
/// A registry on a real loopback port (Kestrel) with a DataScientist and a Reviewer, and <c>mreg</c> run in-process
/// through its entry point (<see cref="Client.Mreg.RunAsync"/>) with its own environment, config directory and
/// standard streams — the real HTTP stack in between, optionally wrapped to count or cut off bytes.
/// </summary>
public sealed class MregFixture : IAsyncLifetime
{
    public RegistryApp App { get; } = new();
    public TestUser DataScientist { get; private set; } = null!;
    public TestUser Reviewer { get; private set; } = null!;
    public TestUser Viewer { get; private set; } = null!;
    public string Token { get; private set; } = "";
    public string ViewerToken { get; private set; } = "";
    public Uri Url => App.ClientOptions.BaseAddress;

    public async ValueTask InitializeAsync()
    {
        App.UseKestrel(0);
        App.StartServer();
        DataScientist = await App.CreateUserAsync(Roles.DataScientist);
        Reviewer = await App.CreateUserAsync(Roles.Reviewer);
        Viewer = await App.CreateUserAsync();
        Token = (await App.Get<TokenService>().CreateAsync(Actor.CommandLine, DataScientist.Id, "mreg", null)).Token;
        ViewerToken = (await App.Get<TokenService>().CreateAsync(Actor.CommandLine, Viewer.Id, "mreg-viewer", null)).Token;
    }

    public ValueTask DisposeAsync() => App.DisposeAsync();

    /// <summary>A run environment: MREG_URL and MREG_TOKEN of the DataScientist unless overridden, its own config directory.</summary>
    public MregRunner Runner(string? token = null, Uri? url = null) => new(url ?? Url, token ?? Token);
}

/// <summary>One user's <c>mreg</c>: runs commands and keeps what they printed.</summary>
public sealed class MregRunner(Uri? url, string? token) : IDisposable
{
    private readonly DirectoryInfo _config = Directory.CreateTempSubdirectory("mreg-config-");

    public string ConfigDirectory => _config.FullName;
    public Dictionary<string, string?> Variables { get; } = new()
    {
        ["MREG_URL"] = url?.ToString(),
        ["MREG_TOKEN"] = token,
    };

    /// <summary>Wraps the HTTP handler of the next runs (counting, cutting off).</summary>
    public Func<HttpMessageHandler>? Handler { get; set; }

    public async Task<MregResult> RunAsync(CancellationToken ct, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var env = new MregEnvironment
        {
            Out = output,
            Error = error,
            In = new StringReader(""),
            Variables = name => name == "MREG_CONFIG_DIR" ? _config.FullName : Variables.GetValueOrDefault(name),
            Handler = Handler,
            PollInterval = TimeSpan.FromMilliseconds(100),
        };
        var code = await Client.Mreg.RunAsync(args, env, ct);
        return new MregResult(code, output.ToString(), error.ToString());
    }

    public void Dispose() => _config.Delete(recursive: true);
}

public sealed record MregResult(int ExitCode, string Out, string Error)
{
    public JsonElement Json => JsonDocument.Parse(Out).RootElement;

    public override string ToString() => $"exit {ExitCode}\nstdout: {Out}\nstderr: {Error}";
}

/// <summary>Counts the request and response body bytes that pass, and can cancel a run once enough request bytes went.</summary>
public sealed class CountingHandler : DelegatingHandler
{
    private long _sent;
    private long _received;

    public CountingHandler() : base(new SocketsHttpHandler())
    {
    }

    /// <summary>Request body bytes sent per method (PUT, PATCH …).</summary>
    public Dictionary<string, long> SentBy { get; } = [];

    public long Sent => Interlocked.Read(ref _sent);
    public long Received => Interlocked.Read(ref _received);
    public List<(string Method, string Path, int Status, long? Length)> Requests { get; } = [];

    /// <summary>Every request in order with the <c>X-Checksum-Sha256</c> it carried (null when none).</summary>
    public List<(string Method, string Path, string? Sha256)> Checksums { get; } = [];

    /// <summary>Called with the total of request body bytes after each write.</summary>
    public Action<long>? OnSent { get; set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Content is { } content)
        {
            request.Content = new CountingContent(content, n =>
            {
                lock (SentBy)
                {
                    SentBy[request.Method.Method] = SentBy.GetValueOrDefault(request.Method.Method) + n;
                }

                OnSent?.Invoke(Interlocked.Add(ref _sent, n));
            });
        }

        lock (Checksums)
        {
            Checksums.Add((request.Method.Method, request.RequestUri!.AbsolutePath,
                request.Headers.TryGetValues("X-Checksum-Sha256", out var sha) ? sha.Single() : null));
        }

        var response = await base.SendAsync(request, cancellationToken);
        lock (Requests)
        {
            Requests.Add((request.Method.Method, request.RequestUri!.AbsolutePath, (int)response.StatusCode, response.Content.Headers.ContentLength));
        }

        var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var counted = new StreamContent(new CountingReadStream(body, n => Interlocked.Add(ref _received, n)));
        foreach (var header in response.Content.Headers)
        {
            counted.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        response.Content = counted;
        return response;
    }

    private sealed class CountingContent : HttpContent
    {
        private readonly HttpContent _inner;
        private readonly Action<long> _count;

        public CountingContent(HttpContent inner, Action<long> count)
        {
            _inner = inner;
            _count = count;
            foreach (var header in inner.Headers)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context, CancellationToken cancellationToken)
        {
            var source = await _inner.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[64 * 1024];
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                _count(read);
            }
        }

        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = _inner.Headers.ContentLength ?? -1;
            return length >= 0;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    private sealed class CountingReadStream(Stream inner, Action<long> count) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count1)
        {
            var n = inner.Read(buffer, offset, count1);
            count(n);
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken);
            count(n);
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count1) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}

/// <summary>Local model directories for the tests.</summary>
public static class ModelDirectory
{
    public static DirectoryInfo Create(params (string Path, byte[] Bytes)[] files)
    {
        var dir = Directory.CreateTempSubdirectory("mreg-model-");
        foreach (var (path, bytes) in files)
        {
            var full = Path.Combine(dir.FullName, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, bytes);
        }

        return dir;
    }

    public static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static string Sha(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
