using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Core.Aliases;
using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>
/// The registry on a real loopback port with a model a serving stack would load, in every stage at once:
/// <c>support-bot</c> v1 in Production (files in a sub-directory too, a card with front matter), v2 in Staging, v3 the
/// latest with the alias <c>candidate</c>; <c>draft-model</c> with one version and nothing in Production; <c>tree</c>, a
/// model named like a route segment. Readers are a Viewer (the least role), with their token in its Hub spelling.
/// </summary>
public sealed class HubFixture : IAsyncLifetime
{
    public const string Model = "support-bot";
    public const string Draft = "draft-model";
    public const string RouteLikeModel = "tree";
    public const string Alias = "candidate";

    public const string Card = """
        ---
        license: apache-2.0
        library_name: transformers
        pipeline_tag: text-generation
        tags:
          - support
          - "42"
        base_model: meta-llama/Llama-3.1-8B
        model-index:
          - name: support-bot
            results:
              - task: {type: text-generation}
                dataset: {name: tickets, type: tickets}
                metrics:
                  - {type: accuracy, value: 0.91}
        ---
        # Support bot

        Answers support tickets.

        ## Intended use
        Drafting replies.
        """;

    public RegistryApp App { get; } = new();
    public Uri Server { get; private set; } = null!;
    public TestUser Viewer { get; private set; } = null!;
    public string ViewerToken { get; private set; } = "";

    /// <summary>Every file of each version of <see cref="Model"/> as uploaded, by path.</summary>
    public Dictionary<int, Dictionary<string, byte[]>> Files { get; } = new();

    /// <summary>Each version's commit (the first 40 hex digits of its digest) and digest.</summary>
    public Dictionary<int, VersionInfo> Versions { get; } = new();

    public VersionInfo DraftVersion { get; private set; } = null!;

    /// <summary>The real @huggingface/hub client, with the Viewer's token as <c>hf_</c> + token.</summary>
    public HubClient Client => new(Server, TokenService.HubPrefix + ViewerToken);

    /// <summary>An HTTP client for the Viewer, bearer token in its Hub spelling.</summary>
    public HttpClient Http()
    {
        var client = new HttpClient { BaseAddress = Server, Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", TokenService.HubPrefix + ViewerToken);
        return client;
    }

    public async ValueTask InitializeAsync()
    {
        App.UseKestrel(0);
        App.StartServer();
        Server = new Uri(App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        var ct = TestContext.Current.CancellationToken;

        var owner = await App.CreateUserAsync(Roles.DataScientist);
        var reviewer = await App.CreateUserAsync(Roles.Reviewer);
        Viewer = await App.CreateUserAsync();
        ViewerToken = (await App.Get<TokenService>().CreateAsync(Actor.CommandLine, Viewer.Id, "hub", null, ct)).Token;

        await App.RegisterModelAsync(owner, Model, task: "text-generation", description: "Answers support tickets.", "support", "chat");
        for (var number = 1; number <= 3; number++)
        {
            await App.CreateVersionAsync(owner, Model, new VersionInput(License: "apache-2.0"));
            var files = new Dictionary<string, byte[]>
            {
                ["config.json"] = ModelFiles.Config(),
                ["model.safetensors"] = Weights(seed: number, megabytes: number == 1 ? 3 : 1),
                ["tokenizer.json"] = Encoding.UTF8.GetBytes($"{{\"version\":\"1.0\",\"v\":{number}}}"),
                ["extra/notes.txt"] = Encoding.UTF8.GetBytes($"Notes of version {number}.\n"),
            };
            foreach (var (path, bytes) in files)
            {
                await App.UploadAsync(owner, Model, number, path, bytes);
            }

            await App.Get<CardService>().SaveAsync(owner.Actor, Model, number, Card.Replace("Support bot", $"Support bot v{number}"), null, ct);
            Files[number] = files;
        }

        await App.PromoteAsync(owner, reviewer, Model, 1, Stage.Staging);
        await App.PromoteAsync(owner, reviewer, Model, 1, Stage.Production);
        await App.PromoteAsync(owner, reviewer, Model, 2, Stage.Staging);
        await App.Get<AliasService>().SetAsync(owner.Actor, Model, Alias, 3, ct);
        for (var number = 1; number <= 3; number++)
        {
            Versions[number] = await App.Get<VersionService>().GetAsync(Model, number, ct);
        }

        await App.RegisterModelAsync(owner, Draft, task: "text-classification");
        DraftVersion = await App.CreateVersionAsync(owner, Draft);
        await App.UploadAsync(owner, Draft, 1, "model.gguf", GgufBuilder.Llama().Build());

        await App.RegisterModelAsync(owner, RouteLikeModel);
        await App.CreateVersionAsync(owner, RouteLikeModel);
        await App.UploadAsync(owner, RouteLikeModel, 1, "config.json", ModelFiles.Config());
        await App.PromoteAsync(owner, reviewer, RouteLikeModel, 1, Stage.Staging);
        await App.PromoteAsync(owner, reviewer, RouteLikeModel, 1, Stage.Production);
    }

    public ValueTask DisposeAsync() => App.DisposeAsync();

    /// <summary>A valid safetensors file whose data is pseudo-random (every byte differs between versions).</summary>
    public static byte[] Weights(int seed, int megabytes)
    {
        var rows = megabytes * 1024L * 1024 / 4 / 256;
        var file = ModelFiles.Safetensors([("w", "F32", [rows, 256])]);
        var headerEnd = 8 + (int)BitConverter.ToUInt64(file, 0);
        new Random(seed).NextBytes(file.AsSpan(headerEnd));
        return file;
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
