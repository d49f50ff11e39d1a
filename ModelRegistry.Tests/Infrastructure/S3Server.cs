using System.Diagnostics;
using Amazon.S3;
using Amazon.S3.Model;
using ModelRegistry.Core;
using ModelRegistry.Core.Artifacts.Storage.S3;

namespace ModelRegistry.Tests.Infrastructure;

/// <summary>
/// A real S3-protocol server for a test: s3rver (npm, <c>s3/package.json</c>) started with node on a free loopback
/// port over a temporary directory, with one bucket, and stopped (its directory deleted) on dispose. The build
/// restores it; on a machine where it has not, the first start runs <c>npm ci</c>.
/// </summary>
public sealed class S3Server : IAsyncDisposable
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    private static readonly SemaphoreSlim Restore = new(1, 1);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mr-tests", $"s3-{Guid.NewGuid():N}");
    private Process? _process;

    private S3Server(string bucket)
    {
        Bucket = bucket;
    }

    public string Bucket { get; }
    public int Port { get; private set; }
    public string ServiceUrl => $"http://127.0.0.1:{Port}";

    /// <summary>An S3 client of the server, made the way the registry makes its own.</summary>
    public IAmazonS3 Client { get; private set; } = null!;

    /// <summary>The configuration that points a registry at this server.</summary>
    public IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Registry:Artifacts:Store"] = "S3",
        ["Registry:Artifacts:S3:ServiceUrl"] = ServiceUrl,
        ["Registry:Artifacts:S3:Bucket"] = Bucket,
        ["Registry:Artifacts:S3:AccessKey"] = AccessKey,
        ["Registry:Artifacts:S3:SecretKey"] = SecretKey,
    };

    public static async Task<S3Server> StartAsync(string bucket = "registry")
    {
        var server = new S3Server(bucket);
        await server.StartAsync();
        return server;
    }

    /// <summary>Points a registry at this server (before it starts).</summary>
    public void Configure(RegistryApp app)
    {
        foreach (var (key, value) in Settings)
        {
            app.Settings[key] = value;
        }
    }

    /// <summary>Every object key, and every multipart upload in progress as <c>upload:&lt;key&gt;</c>, sorted.</summary>
    public async Task<IReadOnlyList<string>> ContentsAsync()
    {
        var keys = new List<string>();
        string? token = null;
        do
        {
            var page = await Client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, ContinuationToken = token });
            keys.AddRange((page.S3Objects ?? []).Select(o => o.Key));
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);

        keys.AddRange((await UploadsAsync()).Select(u => $"upload:{u.Key}"));
        return keys.Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Multipart uploads in progress.</summary>
    public async Task<IReadOnlyList<MultipartUpload>> UploadsAsync() =>
        (await Client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = Bucket })).MultipartUploads ?? [];

    /// <summary>Stops the server (its data stays until dispose), as when the store goes down.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
        Client?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean from the temp directory.
        }
    }

    private async Task StartAsync()
    {
        var root = ServerDirectory();
        await EnsureRestoredAsync(root);
        Directory.CreateDirectory(_directory);
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // s3rver's list continuation tokens use DES, which Node's OpenSSL 3 keeps in its legacy provider.
        foreach (var arg in new[] { "--openssl-legacy-provider", "server.js", "--directory", _directory, "--bucket", Bucket })
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node.");
        _ = _process.StandardError.ReadToEndAsync(); // Drained so the child never blocks on a full pipe.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var line = await _process.StandardOutput.ReadLineAsync(timeout.Token);
        if (line is null || !line.StartsWith("listening ", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"s3rver did not start: {line}");
        }

        Port = int.Parse(line["listening ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Client = S3ArtifactStore.CreateClient(new S3ArtifactOptions
        {
            ServiceUrl = ServiceUrl,
            Bucket = Bucket,
            AccessKey = AccessKey,
            SecretKey = SecretKey,
        });
    }

    private static string ServerDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "ModelRegistry.Tests", "s3");
            if (File.Exists(Path.Combine(candidate, "server.js")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("ModelRegistry.Tests/s3/server.js not found above " + AppContext.BaseDirectory);
    }

    private static async Task EnsureRestoredAsync(string root)
    {
        await Restore.WaitAsync();
        try
        {
            if (Directory.Exists(Path.Combine(root, "node_modules", "s3rver")))
            {
                return;
            }

            using var npm = Process.Start(new ProcessStartInfo("npm", "ci --ignore-scripts --no-audit --no-fund")
            {
                WorkingDirectory = root,
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            }) ?? throw new InvalidOperationException("Could not start npm.");
            var output = npm.StandardOutput.ReadToEndAsync();
            var errors = npm.StandardError.ReadToEndAsync();
            await npm.WaitForExitAsync();
            if (npm.ExitCode != 0)
            {
                throw new InvalidOperationException($"npm ci failed in {root}: {await output}{await errors}");
            }
        }
        finally
        {
            Restore.Release();
        }
    }
}
