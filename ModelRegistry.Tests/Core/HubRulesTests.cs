using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Artifacts.Headers;
using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Hub;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

/// <summary>
/// The rules behind <c>/hf</c> that live in Core: which revision names which version, how a version's files become a
/// git tree (LFS entries, object ids, the card as README.md), the card's front matter as JSON, and the token spellings
/// Hub clients need.
/// </summary>
public sealed class HubRulesTests
{
    private const string Sha = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393";

    [Theory]
    [InlineData("main", "production")]
    [InlineData("HEAD", "production")]
    [InlineData("v2", "2")]
    [InlineData("v10", "10")]
    [InlineData("v02", "v02")]       // not a version number: looked up as an alias (and found by none)
    [InlineData("Main", "Main")]     // branches are case-sensitive in git
    [InlineData("staging", "staging")]
    [InlineData("candidate", "candidate")]
    public void Hub_revisions_name_version_references(string revision, string reference) =>
        Assert.Equal(reference, HubRevisionNames.ToReference(revision));

    [Fact]
    public void A_weight_file_is_an_LFS_object_whose_oid_is_the_git_blob_id_of_its_pointer()
    {
        var tree = HubTree.Build([File("model.safetensors", 12345, ArtifactKind.Safetensors)], null);

        var entry = Assert.Single(tree.Entries);
        // `git hash-object` of the pointer git-lfs writes for these bytes.
        Assert.Equal("60c8d8ab2adcf57a391163a7eeb0cdb8bf348e44", entry.Oid);
        Assert.Equal(new HubLfs(Sha, 12345, 130), entry.Lfs);
    }

    [Theory]
    [InlineData("model.gguf", ArtifactKind.Gguf, 100, true)]
    [InlineData("model.onnx", ArtifactKind.Onnx, 100, true)]
    [InlineData("pytorch_model.bin", ArtifactKind.Pickle, 100, true)]
    [InlineData("tokenizer.json", ArtifactKind.Other, HubTree.LfsThresholdBytes, true)]
    [InlineData("tokenizer.json", ArtifactKind.Other, HubTree.LfsThresholdBytes - 1, false)]
    [InlineData("config.json", ArtifactKind.ModelConfig, 500, false)]
    public void Weights_and_large_files_are_LFS_and_other_files_are_plain_with_their_sha256_as_oid(string path, ArtifactKind kind, long size, bool lfs)
    {
        var entry = Assert.Single(HubTree.Build([File(path, size, kind)], null).Entries);

        Assert.Equal(lfs, entry.Lfs is not null);
        if (!lfs)
        {
            Assert.Equal(Sha, entry.Oid);
        }
    }

    [Fact]
    public void Directories_are_implied_by_paths_and_listed_one_level_or_recursively()
    {
        var tree = HubTree.Build(
            [File("config.json", 10), File("onnx/model.onnx", 10), File("onnx/int8/model.onnx", 10), File("z.txt", 10)], null);

        Assert.Equal(["config.json", "onnx", "onnx/int8", "onnx/int8/model.onnx", "onnx/model.onnx", "z.txt"], tree.Entries.Select(e => e.Path));
        Assert.Equal(["config.json", "onnx", "z.txt"], tree.List("", recursive: false)!.Select(e => e.Path));
        Assert.Equal(["onnx/int8", "onnx/model.onnx"], tree.List("onnx", recursive: false)!.Select(e => e.Path));
        Assert.Equal(["onnx/int8", "onnx/int8/model.onnx", "onnx/model.onnx"], tree.List("onnx/", recursive: true)!.Select(e => e.Path));
        Assert.Null(tree.List("config.json", recursive: false));
        Assert.Null(tree.List("missing", recursive: true));
        Assert.True(tree.Find("onnx/int8")!.IsDirectory);
        Assert.Matches("^[0-9a-f]{40}$", tree.Find("onnx")!.Oid);
    }

    [Fact]
    public void A_file_and_a_directory_of_the_same_name_make_a_tree_that_keeps_the_file()
    {
        var tree = HubTree.Build([File("a", 1), File("a/b", 2), File("README.md/x", 3)], new CardFile(4, new string('c', 64)));

        Assert.Equal(["README.md", "README.md/x", "a", "a/b"], tree.Entries.Select(e => e.Path));
        Assert.All(tree.Entries, e => Assert.False(e.IsDirectory));
        Assert.Equal(4, tree.Find("README.md")!.Size);
    }

    [Fact]
    public void A_directory_oid_changes_when_anything_below_it_changes()
    {
        var before = HubTree.Build([File("onnx/int8/model.onnx", 10)], null).Find("onnx")!.Oid;
        var after = HubTree.Build([File("onnx/int8/model.onnx", 10) with { Sha256 = new string('e', 64) }], null).Find("onnx")!.Oid;

        Assert.NotEqual(before, after);
    }

    [Fact]
    public void The_card_is_README_md_and_shadows_an_uploaded_one()
    {
        var card = new CardFile(42, new string('c', 64));

        var withCard = HubTree.Build([File("README.md", 10), File("config.json", 10)], card).Find("README.md")!;
        var withoutCard = HubTree.Build([File("README.md", 10)], null).Find("README.md")!;

        Assert.Equal((42L, card.Sha256), (withCard.Size, withCard.Sha256));
        Assert.Equal((10L, Sha), (withoutCard.Size, withoutCard.Sha256));
    }

    [Fact]
    public void Card_front_matter_becomes_typed_json()
    {
        var json = CardFrontMatterJson.Read("""
            ---
            license: mit
            count: 7
            ratio: 0.5
            gated: false
            quoted: "7"
            empty: ~
            tags: [a, b]
            model-index:
              - name: m
                results: []
            ---
            # Title
            """)!;

        Assert.Equal("""{"license":"mit","count":7,"ratio":0.5,"gated":false,"quoted":"7","empty":null,"tags":["a","b"],"model-index":[{"name":"m","results":[]}]}""",
            json.ToJsonString());
    }

    [Theory]
    [InlineData("# No front matter\n")]
    [InlineData("---\n- a list\n- not a mapping\n---\n")]
    [InlineData("---\nkey: [unclosed\n---\n")]
    public void Front_matter_that_is_absent_or_no_mapping_gives_no_card_data(string markdown) =>
        Assert.Null(CardFrontMatterJson.Read(markdown));

    [Fact]
    public void Aliases_that_would_expand_past_the_limit_give_no_card_data()
    {
        // Each level doubles: 2^25 values from a few hundred bytes of YAML.
        var yaml = new System.Text.StringBuilder("---\na0: &a0 [x, x]\n");
        for (var i = 1; i <= 25; i++)
        {
            yaml.Append($"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]\n");
        }

        Assert.Null(CardFrontMatterJson.Read(yaml.Append("---\n").ToString()));
    }

    [Theory]
    [InlineData("hf_mr_abc", "mr_abc")]
    [InlineData("mr_abc", "mr_abc")]
    [InlineData("hf_6d725f616263", "mr_abc")]    // hexadecimal of "mr_abc", for llama.cpp
    [InlineData("hf_616263", "hf_616263")]       // hexadecimal of something that is no registry token
    [InlineData("hf_xyz", "hf_xyz")]
    public void Hub_spellings_of_a_token_lead_back_to_it(string presented, string token) =>
        Assert.Equal(token, TokenService.FromHubSpelling(presented));

    [Fact]
    public async Task A_token_authenticates_in_both_Hub_spellings_and_a_mangled_one_does_not()
    {
        await using var app = new RegistryApp();
        var user = await app.CreateUserAsync();
        var tokens = app.Get<TokenService>();
        var token = (await tokens.CreateAsync(Actor.CommandLine, user.Id, "hub", null, TestContext.Current.CancellationToken)).Token;

        Assert.Equal(user.Id, await tokens.AuthenticateAsync("hf_" + token, TestContext.Current.CancellationToken));
        Assert.Equal(user.Id, await tokens.AuthenticateAsync(TokenService.HubHexSpelling(token), TestContext.Current.CancellationToken));
        Assert.Matches("^hf_[0-9a-f]+$", TokenService.HubHexSpelling(token));
        Assert.Null(await tokens.AuthenticateAsync("hf_" + token[..^1], TestContext.Current.CancellationToken));
        Assert.Null(await tokens.AuthenticateAsync("hf_hf_" + token, TestContext.Current.CancellationToken));
    }

    private static ArtifactInfo File(string path, long size, ArtifactKind kind = ArtifactKind.Other) =>
        new(path, size, Sha, "application/octet-stream", kind, false, null, [], null, "someone", DateTimeOffset.UnixEpoch);
}
