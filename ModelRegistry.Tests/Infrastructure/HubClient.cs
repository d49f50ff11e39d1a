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
    /// <summary>The registry's Hub endpoint, as <c>HF_ENDPOINT</c> would be set.</summary>
    public string HubUrl { get; } = new Uri(registry, "/hf").ToString().TrimEnd('/');

    /// <summary>Runs the steps (each an object with <c>op</c> and its parameters) in one node process, in order.</summary>
    public async Task<IReadOnlyList<HubResult>> RunAsync(params object[] steps)
    {
        var root = NodeTool.Folder("hub");
        await NodeTool.EnsureRestoredAsync(root, "@huggingface/hub", CancellationToken.None);
        var run = await NodeTool.NodeAsync(root, ["hub-client.mjs"], null, CancellationToken.None,
            input: JsonSerializer.Serialize(new { hubUrl = HubUrl, accessToken, steps }), timeout: TimeSpan.FromMinutes(3));
        var output = run.Output;
        if (run.ExitCode != 0 || output.Length == 0)
        {
            throw new InvalidOperationException($"hub-client.mjs exited {run.ExitCode}: {output}\n{run.Errors}");
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
}

/// <summary>What one step gave: the client's return value, or the error it threw (<c>name</c>, <c>statusCode</c>, <c>message</c>).</summary>
public sealed record HubResult(bool Ok, JsonNode? Value, JsonNode? Error)
{
    public int? StatusCode => Error?["statusCode"]?.GetValue<int?>();
    public string Message => Error?["message"]?.GetValue<string>() ?? "";
}
