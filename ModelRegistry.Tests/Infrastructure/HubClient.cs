using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ModelRegistry.Tests.Infrastructure;

/// <summary>
/// The real Hugging Face Hub JS client (<c>hub/package.json</c>: @huggingface/hub, pinned) driven by
/// <c>hub/hub-client.mjs</c> with node: each call runs its steps against a registry's <c>/hf</c> and returns what the
/// client returned or threw, one result per step. The build restores the package; on a machine where it has not
/// (a fresh clone, no node_modules), the first call runs <c>npm ci</c>.
/// </summary>
public sealed class HubClient(Uri registry, string? accessToken)
{
    private static readonly SemaphoreSlim Restore = new(1, 1);

    /// <summary>The registry's Hub endpoint, as <c>HF_ENDPOINT</c> would be set.</summary>
    public string HubUrl { get; } = new Uri(registry, "/hf").ToString().TrimEnd('/');

    /// <summary>Runs the steps (each an object with <c>op</c> and its parameters) in one node process, in order.</summary>
    public async Task<IReadOnlyList<HubResult>> RunAsync(params object[] steps)
    {
        var root = ClientDirectory();
        await EnsureRestoredAsync(root);
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("hub-client.mjs");
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(JsonSerializer.Serialize(new { hubUrl = HubUrl, accessToken, steps }));
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        var output = await stdout;
        if (process.ExitCode != 0 || output.Length == 0)
        {
            throw new InvalidOperationException($"hub-client.mjs exited {process.ExitCode}: {output}\n{await stderr}");
        }

        return JsonNode.Parse(output)!.AsArray().Select(r => new HubResult(r!["ok"]!.GetValue<bool>(), r["value"], r["error"])).ToList();
    }

    /// <summary>Runs one step and returns its value, failing the test with the client's error when it threw.</summary>
    public async Task<JsonNode?> ValueAsync(object step)
    {
        var result = (await RunAsync(step))[0];
        Assert.True(result.Ok, $"the Hub client failed: {result.Error?.ToJsonString()}");
        return result.Value;
    }

    private static string ClientDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "ModelRegistry.Tests", "hub");
            if (File.Exists(Path.Combine(candidate, "hub-client.mjs")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("ModelRegistry.Tests/hub/hub-client.mjs not found above " + AppContext.BaseDirectory);
    }

    private static async Task EnsureRestoredAsync(string root)
    {
        await Restore.WaitAsync();
        try
        {
            if (File.Exists(Path.Combine(root, "node_modules", "@huggingface", "hub", "package.json")))
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

/// <summary>What one step gave: the client's return value, or the error it threw (<c>name</c>, <c>statusCode</c>, <c>message</c>).</summary>
public sealed record HubResult(bool Ok, JsonNode? Value, JsonNode? Error)
{
    public int? StatusCode => Error?["statusCode"]?.GetValue<int?>();
    public string Message => Error?["message"]?.GetValue<string>() ?? "";
}
