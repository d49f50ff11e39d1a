using System.Text.Json.Nodes;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>
/// The real @huggingface/hub client (npm, pinned in hub/package.json) against the registry's <c>/hf</c> on a real port,
/// as a serving stack uses it: who am I, model info, file lists, downloads, existence checks, a whole snapshot with every
/// byte compared, the model list, every revision form, and the failures a user must be able to tell apart.
/// </summary>
public sealed class HubClientTests(HubFixture hub) : IClassFixture<HubFixture>
{
    private const string Repo = $"registry/{HubFixture.Model}";

    [Fact]
    public async Task WhoAmI_names_the_token_owner()
    {
        var me = await hub.Client.ValueAsync(new { op = "whoAmI" });

        Assert.Equal("user", me!["type"]!.GetValue<string>());
        Assert.Equal(hub.Viewer.Email, me["email"]!.GetValue<string>());
        Assert.Equal(hub.Viewer.Email, me["name"]!.GetValue<string>());
        Assert.Equal("access_token", me["auth"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_client_refuses_a_token_without_hf_and_the_registry_takes_it_with_hf()
    {
        var bare = await new HubClient(hub.Server, hub.ViewerToken).RunAsync(new { op = "whoAmI" });
        Assert.False(bare[0].Ok);
        Assert.Contains("must start with 'hf_'", bare[0].Message);

        // llama.cpp takes only letters and digits after hf_: the hexadecimal spelling of the same token.
        var hex = await new HubClient(hub.Server, TokenService.HubHexSpelling(hub.ViewerToken)).ValueAsync(new { op = "whoAmI" });
        Assert.Equal(hub.Viewer.Email, hex!["email"]!.GetValue<string>());
    }

    [Fact]
    public async Task Without_a_token_every_call_is_401()
    {
        var anonymous = new HubClient(hub.Server, null);
        var results = await anonymous.RunAsync(
            new { op = "modelInfo", name = Repo },
            new { op = "listFiles", repo = Repo },
            new { op = "downloadFile", repo = Repo, path = "config.json" },
            new { op = "listModels" });

        Assert.All(results, r => Assert.Equal(401, r.StatusCode));
    }

    [Fact]
    public async Task ModelInfo_of_main_is_the_Production_version_with_task_card_data_library_and_files()
    {
        var info = await hub.Client.ValueAsync(new
        {
            op = "modelInfo", name = Repo,
            additionalFields = new[] { "sha", "cardData", "library_name", "tags", "filePaths", "author" },
        });

        Assert.Equal(Repo, info!["name"]!.GetValue<string>());
        Assert.Equal(hub.Versions[1].Commit, info["sha"]!.GetValue<string>());
        Assert.Equal("text-generation", info["task"]!.GetValue<string>());
        Assert.False(info["private"]!.GetValue<bool>());
        Assert.Equal("registry", info["author"]!.GetValue<string>());
        Assert.Equal("transformers", info["library_name"]!.GetValue<string>());
        Assert.Equal("apache-2.0", info["cardData"]!["license"]!.GetValue<string>());
        Assert.Equal(0.91, info["cardData"]!["model-index"]![0]!["results"]![0]!["metrics"]![0]!["value"]!.GetValue<double>());
        Assert.Equal("42", info["cardData"]!["tags"]![1]!.GetValue<string>());
        var tags = info["tags"]!.AsArray().Select(t => t!.GetValue<string>()).ToList();
        Assert.Contains("support", tags);
        Assert.Contains("safetensors", tags);
        Assert.Contains("license:apache-2.0", tags);
        Assert.Equal(
            ["README.md", "config.json", "extra/notes.txt", "model.safetensors", "tokenizer.json"],
            info["filePaths"]!.AsArray().Select(p => p!.GetValue<string>()).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(null, 1)]          // the client's default, HEAD
    [InlineData("main", 1)]
    [InlineData("production", 1)]
    [InlineData("staging", 2)]
    [InlineData("latest", 3)]
    [InlineData("v2", 2)]
    [InlineData(HubFixture.Alias, 3)]
    [InlineData("commit", 2)]
    [InlineData("digest-prefix", 3)]
    public async Task Every_revision_form_names_its_version(string? revision, int version)
    {
        var asked = revision switch
        {
            "commit" => hub.Versions[version].Commit,
            "digest-prefix" => hub.Versions[version].Digest[..(7 + 16)], // "sha256:" and 16 hex digits
            _ => revision,
        };

        var results = await hub.Client.RunAsync(
            new { op = "modelInfo", name = Repo, revision = asked, additionalFields = new[] { "sha" } },
            new { op = "downloadFile", repo = Repo, path = "model.safetensors", revision = asked });

        Assert.True(results[0].Ok, results[0].Message);
        Assert.Equal(hub.Versions[version].Commit, results[0].Value!["sha"]!.GetValue<string>());
        Assert.True(results[1].Ok, results[1].Message);
        Assert.Equal(HubFixture.Sha256(hub.Files[version]["model.safetensors"]), results[1].Value!["sha256"]!.GetValue<string>());
    }

    [Fact]
    public async Task ListFiles_lists_the_tree_with_lfs_entries_for_weights()
    {
        var results = await hub.Client.RunAsync(
            new { op = "listFiles", repo = Repo, recursive = true },
            new { op = "listFiles", repo = Repo },
            new { op = "listFiles", repo = Repo, path = "extra" });

        var all = Entries(results[0]);
        Assert.Equal(["README.md", "config.json", "extra", "extra/notes.txt", "model.safetensors", "tokenizer.json"], all.Keys);
        var weights = hub.Files[1]["model.safetensors"];
        var safetensors = all["model.safetensors"];
        Assert.Equal("file", safetensors["type"]!.GetValue<string>());
        Assert.Equal(weights.Length, safetensors["size"]!.GetValue<long>());
        Assert.Equal(HubFixture.Sha256(weights), safetensors["lfs"]!["oid"]!.GetValue<string>());
        Assert.Equal(weights.Length, safetensors["lfs"]!["size"]!.GetValue<long>());
        Assert.Null(all["config.json"]["lfs"]);
        Assert.Equal(HubFixture.Sha256(hub.Files[1]["config.json"]), all["config.json"]["oid"]!.GetValue<string>());
        Assert.Equal("directory", all["extra"]["type"]!.GetValue<string>());

        Assert.Equal(["README.md", "config.json", "extra", "model.safetensors", "tokenizer.json"], Entries(results[1]).Keys);
        Assert.Equal(["extra/notes.txt"], Entries(results[2]).Keys);
    }

    [Fact]
    public async Task DownloadFile_gives_the_exact_bytes_and_the_card_as_README_and_null_for_a_missing_file()
    {
        var results = await hub.Client.RunAsync(
            new { op = "downloadFile", repo = Repo, path = "model.safetensors" },
            new { op = "downloadFile", repo = Repo, path = "extra/notes.txt", revision = "v3" },
            new { op = "downloadFile", repo = Repo, path = "README.md" },
            new { op = "downloadFile", repo = Repo, path = "adapter_config.json" },
            new { op = "downloadFile", repo = Repo, path = "config.json", raw = true });

        Assert.Equal(HubFixture.Sha256(hub.Files[1]["model.safetensors"]), results[0].Value!["sha256"]!.GetValue<string>());
        Assert.Equal("Notes of version 3.\n", results[1].Value!["text"]!.GetValue<string>());
        Assert.StartsWith("---\nlicense: apache-2.0", results[2].Value!["text"]!.GetValue<string>());
        Assert.Contains("# Support bot v1", results[2].Value!["text"]!.GetValue<string>());
        // Only EntryNotFound makes the client answer "no such file" (null) instead of throwing.
        Assert.True(results[3].Ok, results[3].Message);
        Assert.Null(results[3].Value);
        Assert.Equal(HubFixture.Sha256(hub.Files[1]["config.json"]), results[4].Value!["sha256"]!.GetValue<string>());
    }

    [Fact]
    public async Task FileExists_tells_present_from_absent()
    {
        var results = await hub.Client.RunAsync(
            new { op = "fileExists", repo = Repo, path = "config.json" },
            new { op = "fileExists", repo = Repo, path = "extra/notes.txt", revision = "staging" },
            new { op = "fileExists", repo = Repo, path = "README.md" },
            new { op = "fileExists", repo = Repo, path = "pytorch_model.bin" });

        Assert.Equal([true, true, true, false], results.Select(r => r.Value!.GetValue<bool>()));
    }

    [Theory]
    [InlineData("main", 1)]
    [InlineData(HubFixture.Alias, 3)]
    public async Task SnapshotDownload_brings_every_file_byte_for_byte_into_the_commit_folder(string revision, int version)
    {
        var cache = Directory.CreateTempSubdirectory("mr-hub-snapshot-");
        try
        {
            var snapshot = await hub.Client.ValueAsync(new { op = "snapshotDownload", repo = Repo, revision, cacheDir = cache.FullName });

            Assert.Equal($"models--registry--{HubFixture.Model}/snapshots/{hub.Versions[version].Commit}", snapshot!["folder"]!.GetValue<string>());
            var expected = hub.Files[version]
                .Select(f => (Path: f.Key, Size: (long)f.Value.Length, Sha: HubFixture.Sha256(f.Value)))
                .Append(("README.md", ReadmeBytes(version).Length, HubFixture.Sha256(ReadmeBytes(version))))
                .OrderBy(f => f.Item1, StringComparer.Ordinal).ToList();
            var got = snapshot["files"]!.AsArray()
                .Select(f => (Path: f!["path"]!.GetValue<string>(), Size: f["size"]!.GetValue<long>(), Sha: f["sha256"]!.GetValue<string>()))
                .ToList();
            Assert.Equal(expected, got);
            // The ref the client wrote points at the commit, as huggingface_hub's cache layout has it.
            Assert.Equal(hub.Versions[version].Commit,
                await File.ReadAllTextAsync(Path.Combine(cache.FullName, $"models--registry--{HubFixture.Model}", "refs", revision),
                    TestContext.Current.CancellationToken));
        }
        finally
        {
            cache.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task ListModels_lists_every_model_with_its_main_commit()
    {
        var results = await hub.Client.RunAsync(
            new { op = "listModels", limit = 50, additionalFields = new[] { "sha" } },
            new { op = "listModels", search = new { query = "support" } });

        var models = results[0].Value!.AsArray().ToDictionary(m => m!["name"]!.GetValue<string>());
        Assert.Equal($"registry/{HubFixture.Draft}", Assert.Single(models, m => m.Key.EndsWith(HubFixture.Draft, StringComparison.Ordinal)).Key);
        Assert.Equal(hub.Versions[1].Commit, models[Repo]!["sha"]!.GetValue<string>());
        Assert.Equal("text-generation", models[Repo]!["task"]!.GetValue<string>());
        Assert.Null(models[$"registry/{HubFixture.Draft}"]!["sha"]);
        Assert.Equal([Repo], results[1].Value!.AsArray().Select(m => m!["name"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Unknown_repo_or_revision_is_a_404_error_not_a_missing_file()
    {
        var results = await hub.Client.RunAsync(
            new { op = "downloadFile", repo = "registry/no-such-model", path = "config.json" },
            new { op = "downloadFile", repo = Repo, path = "config.json", revision = "no-such-revision" },
            new { op = "modelInfo", name = Repo, revision = "v99" },
            new { op = "modelInfo", name = $"someone-else/{HubFixture.Model}" },
            // main is the Production version: a model without one has no main.
            new { op = "modelInfo", name = $"registry/{HubFixture.Draft}" },
            new { op = "listFiles", repo = Repo, revision = "0123456789abcdef0123456789abcdef01234567" });

        Assert.All(results, r => Assert.Equal(404, r.StatusCode));
    }

    [Fact]
    public async Task A_bare_model_name_is_a_repo_id_too()
    {
        var info = await hub.Client.ValueAsync(new { op = "modelInfo", name = HubFixture.Model, revision = "staging", additionalFields = new[] { "sha" } });

        Assert.Equal(hub.Versions[2].Commit, info!["sha"]!.GetValue<string>());
    }

    private static Dictionary<string, JsonNode> Entries(HubResult result)
    {
        Assert.True(result.Ok, result.Message);
        return result.Value!.AsArray().ToDictionary(e => e!["path"]!.GetValue<string>(), e => e!)
            .OrderBy(e => e.Key, StringComparer.Ordinal).ToDictionary(e => e.Key, e => e.Value);
    }

    private static byte[] ReadmeBytes(int version) =>
        System.Text.Encoding.UTF8.GetBytes(HubFixture.Card.Replace("Support bot", $"Support bot v{version}"));
}
