using System.Text.Json;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Artifacts.Headers;
using ModelRegistry.Core.Lineage;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;
using ModelRegistry.Web.Components.Pages.Artifacts.Components;
using ModelRegistry.Web.Components.Pages.Lineage.Components;

namespace ModelRegistry.Tests.Components;

/// <summary>The Lineage tab (what it hands the Cytoscape interop, and its table) and the Files tab's folder tree.</summary>
public sealed class LineageTabTests(RegistryApp app) : IClassFixture<RegistryApp>
{
    [Fact]
    public async Task Lineage_tab_hands_raw_labels_and_positions_to_the_graph_and_lists_every_relation_as_links()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        const string model = "lineage-tab";
        await app.RegisterModelAsync(ds, model);
        await app.CreateVersionAsync(ds, model, new VersionInput(BaseModel: "org/<b>base</b>"));
        await app.CreateVersionAsync(ds, model, new VersionInput(ParentVersion: 1, Datasets: [new DatasetInfo("<img src=x onerror=alert(1)>")]));
        await using var ctx = ComponentTestContext.Create();
        ctx.Services.AddSingleton(app.Get<LineageService>());
        var graphModule = ctx.JSInterop.SetupModule("./js/lineage-graph.js");
        graphModule.SetupVoid("render", _ => true).SetVoidResult();

        var cut = ctx.Render<LineageTab>(p => p.Add(x => x.ModelName, model).Add(x => x.Number, 2));

        cut.WaitForAssertion(() => Assert.Single(graphModule.Invocations["render"]));
        var data = JsonSerializer.SerializeToElement(graphModule.Invocations["render"].Single().Arguments[1]);
        var nodes = data.GetProperty("nodes").EnumerateArray().ToList();
        Assert.Contains(nodes, n => n.GetProperty("label").GetString() == "<img src=x onerror=alert(1)>" && n.GetProperty("kind").GetString() == "Dataset");
        Assert.Contains(nodes, n => n.GetProperty("label").GetString() == "v1" && n.GetProperty("link").GetString() == $"/models/{model}/versions/1");
        Assert.All(nodes, n => Assert.True(n.TryGetProperty("x", out _) && n.TryGetProperty("y", out _)));
        Assert.Equal(3, data.GetProperty("edges").GetArrayLength());

        // The table says the same, as text: the hostile name shows literally, never as an element.
        var rows = cut.FindAll(".lineage-table tbody tr");
        Assert.Equal(3, rows.Count);
        Assert.Empty(cut.FindAll("table img"));
        Assert.Contains(rows, r => r.TextContent.Contains("<img src=x onerror=alert(1)>", StringComparison.Ordinal) && r.TextContent.Contains("trained on"));
        Assert.Contains(cut.FindAll("table a"), a => a.GetAttribute("href") == $"/models/{model}/versions/1");
    }

    [Fact]
    public void Lineage_notes_say_what_the_graph_leaves_out()
    {
        var g = new LineageGraph("m", 9, [new LineageNode("n0", LineageNodeKind.Current, "v9", null, null, 0, 0, 0, 0)], [],
            OmittedAncestors: 1, OmittedAfter: 2, CycleAt: 4);

        var notes = LineageTab.Notes(g).ToList();

        Assert.Equal(3, notes.Count);
        Assert.Contains(notes, n => n.Contains("loops back to version 4"));
        Assert.Contains(notes, n => n.Contains("2 more"));
    }

    private static ArtifactInfo File(string path, long size) =>
        new(path, size, new string('a', 64), "application/octet-stream", ArtifactKind.Other, false, null, [], null, "ds", DateTimeOffset.UnixEpoch);

    [Fact]
    public void File_tree_lists_folders_first_with_their_totals_and_hides_what_a_collapsed_folder_holds()
    {
        ArtifactInfo[] files =
        [
            File("config.json", 10), File("weights/b.safetensors", 200), File("weights/a.safetensors", 100),
            File("weights/extra/deep.bin", 5), File("README.md", 1), File("tokenizer/tokenizer.json", 50),
        ];

        var open = FileTree.Rows(files, new HashSet<string>());
        Assert.Equal(["tokenizer", "tokenizer/tokenizer.json", "weights", "weights/extra", "weights/extra/deep.bin", "weights/a.safetensors",
            "weights/b.safetensors", "config.json", "README.md"], open.Select(r => r.Path));
        var weights = Assert.Single(open, r => r.Path == "weights");
        Assert.True(weights.IsFolder);
        Assert.Equal((305L, 3), (weights.Size, weights.Files));
        Assert.Equal(2, Assert.Single(open, r => r.Path == "weights/extra/deep.bin").Depth);
        Assert.Equal("deep.bin", Assert.Single(open, r => r.Path == "weights/extra/deep.bin").Name);

        var collapsed = FileTree.Rows(files, new HashSet<string> { "weights" });
        Assert.Equal(["tokenizer", "tokenizer/tokenizer.json", "weights", "config.json", "README.md"], collapsed.Select(r => r.Path));
        Assert.True(Assert.Single(collapsed, r => r.Path == "weights").Collapsed);
    }

    [Fact]
    public void Only_weight_files_link_to_the_header_viewer()
    {
        Assert.True(VersionFiles.HasHeaderView(File("a.gguf", 1) with { Kind = ArtifactKind.Gguf }));
        Assert.True(VersionFiles.HasHeaderView(File("a.safetensors", 1) with { Kind = ArtifactKind.Safetensors }));
        Assert.False(VersionFiles.HasHeaderView(File("config.json", 1) with { Kind = ArtifactKind.ModelConfig }));
        Assert.False(VersionFiles.HasHeaderView(File("model.bin", 1) with { Kind = ArtifactKind.Pickle, UnsafeFormat = true }));
    }
}
