using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Evaluation;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>
/// docs/openapi.json carries a generated client in another language than our own: TypeScript types generated with
/// openapi-typescript, calls made with openapi-fetch (ModelRegistry.Tests/openapi, pinned in its package-lock.json),
/// type-checked with tsc, and the core flow of a pipeline run with node against the app on a real port.
/// </summary>
public sealed class TypeScriptClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_typescript_client_generated_from_the_document_type_checks_and_runs_the_core_flow()
    {
        var tools = NodeTool.Folder("openapi");
        await NodeTool.EnsureRestoredAsync(tools, "openapi-fetch", Ct);
        var document = Path.Combine(OpenApiTests.RepositoryRoot(), "docs", "openapi.json");
        await RunAsync(tools, "generate.mjs", document, "generated/registry.ts");
        await RunAsync(tools, "node_modules/typescript/bin/tsc", "--noEmit", "-p", "tsconfig.json");
        await RunAsync(tools, "node_modules/typescript/bin/tsc", "-p", "tsconfig.json");

        await using var app = new RegistryApp();
        app.UseKestrel(0);
        app.StartServer();
        var server = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var user = await app.CreateUserAsync(Roles.DataScientist);
        var token = await app.Get<TokenService>().CreateAsync(Actor.CommandLine, user.Id, "typescript client", null, Ct);
        const string model = "typescript-client";

        var flow = await RunAsync(tools, ["generated/out/flow.js"], new Dictionary<string, string>
        {
            ["REGISTRY_URL"] = server,
            ["REGISTRY_TOKEN"] = token.Token,
            ["REGISTRY_MODEL"] = model,
        });

        var report = JsonDocument.Parse(flow.Output.Trim().Split('\n')[^1]).RootElement;
        Assert.Equal(1, report.GetProperty("version").GetInt32());
        Assert.Equal(2, report.GetProperty("nextVersion").GetInt32());
        Assert.All(report.GetProperty("uploaded").EnumerateArray(), u => Assert.Equal(201, u.GetProperty("status").GetInt32()));
        Assert.Equal(["config.json", "tokenizer/nested/vocab.bin"], report.GetProperty("listed").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(70_000, report.GetProperty("downloadedBytes").GetInt32());

        // What the registry now holds, read through Core rather than through the client that wrote it.
        var files = await app.Get<ArtifactService>().ListAsync(model, 1, Ct);
        Assert.Equal(["config.json", "tokenizer/nested/vocab.bin"], files.Select(f => f.Path).Order(StringComparer.Ordinal));
        var metric = Assert.Single(await app.Get<EvaluationService>().ListAsync(model, 1, Ct));
        Assert.Equal(("accuracy", 0.683), (metric.Name, metric.Value));
        var request = Assert.Single((await app.Get<LifecycleQueries>().ListForVersionAsync(model, 1, Ct)));
        Assert.Equal((Stage.Staging, TransitionStatus.Pending), (request.ToStage, request.Status));
        Assert.Equal(request.Id, report.GetProperty("transition").GetProperty("id").GetInt64());
    }

    private static Task<NodeResult> RunAsync(string folder, params string[] arguments) => RunAsync(folder, arguments, null);

    private static async Task<NodeResult> RunAsync(string folder, string[] arguments, IReadOnlyDictionary<string, string>? environment)
    {
        var result = await NodeTool.NodeAsync(folder, arguments, environment, Ct);
        Assert.True(result.ExitCode == 0, $"node {string.Join(' ', arguments)}: {result}");
        return result;
    }
}
