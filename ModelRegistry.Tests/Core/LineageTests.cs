using System.Xml.Linq;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Artifacts.Headers;
using ModelRegistry.Core.Deployments;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Lineage;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Teams;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;
using static ModelRegistry.Tests.Infrastructure.LifecycleAppExtensions;

namespace ModelRegistry.Tests.Core;

/// <summary>The lineage graph (visibility, loops, layout, SVG escaping) and the header viewer on real and hostile files.</summary>
public sealed class LineageTests(RegistryApp app) : IClassFixture<RegistryApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private LineageService Lineage => app.Get<LineageService>();

    [Fact]
    public async Task Graph_runs_base_model_parents_version_deployments_with_data_sets_and_derived_models()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var reviewer = await app.CreateUserAsync(Roles.Reviewer);
        var model = Unique("lin-chain");
        await app.RegisterModelAsync(ds, model);
        await app.CreateVersionAsync(ds, model, new VersionInput(BaseModel: "meta-llama/Llama-3.1-8B"));
        await app.CreateVersionAsync(ds, model, new VersionInput(BaseModel: "meta-llama/Llama-3.1-8B", ParentVersion: 1));
        await app.CreateVersionAsync(ds, model, new VersionInput(BaseModel: "meta-llama/Llama-3.1-8B", ParentVersion: 2,
            Datasets: [new DatasetInfo("tickets", "2026-01", Split: "train"), new DatasetInfo("held-out", Split: "test")]));
        await app.CreateVersionAsync(ds, model, new VersionInput(ParentVersion: 3));
        await app.PromoteAsync(ds, reviewer, model, 3, Stage.Staging);
        await app.Get<DeploymentService>().RecordAsync(ds.Actor, model, 3, new DeploymentInput("staging"), Ct);
        var derived = Unique("lin-derived");
        await app.RegisterModelAsync(ds, derived);
        await app.CreateVersionAsync(ds, derived, new VersionInput(BaseModel: model));

        var g = await Lineage.GetAsync(model, 3, Ct);

        string Label(LineageNodeKind kind) => Assert.Single(g.Nodes, n => n.Kind == kind).Label;
        Assert.Equal("meta-llama/Llama-3.1-8B", Label(LineageNodeKind.BaseModel));
        Assert.Null(Assert.Single(g.Nodes, n => n.Kind == LineageNodeKind.BaseModel).Link); // free text: nothing to open
        Assert.Equal(["v1", "v2"], g.Nodes.Where(n => n.Kind == LineageNodeKind.ParentVersion).Select(n => n.Label));
        Assert.Equal("v3", Label(LineageNodeKind.Current));
        Assert.Equal("staging", Label(LineageNodeKind.Deployment));
        Assert.Equal("v4", Label(LineageNodeKind.ChildVersion));
        Assert.Equal(derived, Label(LineageNodeKind.DerivedModel));
        Assert.Equal($"/models/{derived}", Assert.Single(g.Nodes, n => n.Kind == LineageNodeKind.DerivedModel).Link);
        Assert.Equal(["tickets", "held-out"], g.Nodes.Where(n => n.Kind == LineageNodeKind.Dataset).Select(n => n.Label));

        // Left to right: base model, v1, v2 (with the data sets), v3, then what came after it.
        var column = g.Nodes.ToDictionary(n => n.Label, n => n.Column);
        Assert.True(column["meta-llama/Llama-3.1-8B"] < column["v1"] && column["v1"] < column["v2"] && column["v2"] < column["v3"]);
        Assert.Equal(column["v2"], column["tickets"]);
        Assert.Equal(column["v3"] + 1, column["staging"]);
        Assert.Equal(column["v3"] + 1, column[derived]);
        Assert.Contains(g.Edges, e => g.Node(e.From).Label == "tickets" && g.Node(e.To).Label == "v3" && e.Label == "trained on");
        Assert.Contains(g.Edges, e => g.Node(e.From).Label == "held-out" && e.Label == "data (test)");
        Assert.Single(g.Edges, e => e.Label == "base model"); // the base model does not change along the chain
    }

    [Fact]
    public async Task A_restricted_model_the_viewer_cannot_see_is_neither_a_node_nor_a_name()
    {
        var admin = await app.CreateUserAsync(Roles.Admin);
        var member = await app.CreateUserAsync(Roles.DataScientist);
        var outsider = await app.CreateUserAsync(Roles.DataScientist);
        var team = Unique("lin-team");
        await app.Get<TeamService>().CreateAsync(admin.Actor, new CreateTeam(team), Ct);
        await app.Get<TeamService>().AddMemberAsync(admin.Actor, team, member.Email, Ct);

        var open = Unique("lin-open");
        var secret = Unique("lin-secret");
        await app.RegisterModelAsync(member, open);
        await app.CreateVersionAsync(member, open);
        await app.RegisterModelAsync(member, secret);
        await app.Get<ModelService>().UpdateAsync(admin.Actor, secret, new UpdateModel(OwnerTeam: team, Visibility: ModelVisibility.Restricted),
            null, Ct);
        await app.CreateVersionAsync(member, secret, new VersionInput(BaseModel: open));

        LineageGraph As(TestUser user) => Task.Run(async () =>
        {
            using (ModelViewer.As(user.Id))
            {
                return await Lineage.GetAsync(open, 1, Ct);
            }
        }).GetAwaiter().GetResult();

        Assert.Contains(As(member).Nodes, n => n.Label == secret && n.Kind == LineageNodeKind.DerivedModel);
        var seen = As(outsider);
        Assert.DoesNotContain(seen.Nodes, n => n.Label.Contains(secret, StringComparison.Ordinal) || (n.Detail ?? "").Contains(secret, StringComparison.Ordinal));
        Assert.DoesNotContain(secret, LineageSvg.Render(seen), StringComparison.Ordinal);

        // And the secret model's own lineage is a 404 to the outsider, as its page is.
        await Assert.ThrowsAsync<ModelRegistry.Core.Common.NotFoundException>(async () =>
        {
            using (ModelViewer.As(outsider.Id))
            {
                await Lineage.GetAsync(secret, 1, Ct);
            }
        });
    }

    [Fact]
    public async Task A_parent_chain_that_loops_ends_where_it_loops()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var model = Unique("lin-loop");
        await app.ModelWithVersionsAsync(ds, model, 3);
        await app.Get<VersionService>().UpdateAsync(ds.Actor, model, 2, new VersionInput(ParentVersion: 1), Ct);
        await app.Get<VersionService>().UpdateAsync(ds.Actor, model, 3, new VersionInput(ParentVersion: 2), Ct);
        // Core refuses a parent that is not an earlier version; a loop can only come from the database itself.
        await app.ExecuteSqlAsync($"UPDATE Versions SET ParentVersionNumber = 3 WHERE Number = 1 AND ModelId = (SELECT Id FROM Models WHERE Name = '{model}')");

        var g = await Lineage.GetAsync(model, 3, Ct);

        Assert.Equal(3, g.CycleAt);
        Assert.Equal(["v1", "v2"], g.Nodes.Where(n => n.Kind == LineageNodeKind.ParentVersion).Select(n => n.Label));
        Assert.DoesNotContain(g.Nodes, n => n.Kind == LineageNodeKind.ChildVersion); // v1 names v3 as its parent, but is drawn once
    }

    [Fact]
    public async Task Svg_escapes_every_label_and_stays_well_formed()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var model = Unique("lin-svg");
        const string hostile = "<script>alert(1)</script> & \"quotes\" 'single' ]]>";
        await app.RegisterModelAsync(ds, model);
        await app.CreateVersionAsync(ds, model, new VersionInput(BaseModel: "</text><a href=\"javascript:x\">",
            Datasets: [new DatasetInfo(hostile, "v<1>", Split: "train")]));

        var svg = LineageSvg.Render(await Lineage.GetAsync(model, 1, Ct));

        var doc = XDocument.Parse(svg); // throws on anything XML cannot hold
        Assert.DoesNotContain("<script", svg, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<a ", svg, StringComparison.Ordinal);
        Assert.DoesNotContain(doc.Descendants(), e => e.Name.LocalName is "script" or "a" or "foreignObject");
        Assert.Contains("&lt;script&gt;", svg, StringComparison.Ordinal);
        var texts = doc.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value).ToList();
        Assert.Contains(texts, t => t.StartsWith("<script>alert(1)</scri", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.StartsWith("</text><a href=", StringComparison.Ordinal));
        // Characters XML 1.0 cannot hold (Core refuses them in names, but a label may come from elsewhere) are dropped.
        Assert.Equal("a b&lt;c", LineageSvg.Escape("a\u0001\u0008\tb<c\uFFFF"));
    }

    [Fact]
    public async Task Header_viewer_lists_tensors_and_metadata_of_gguf_and_safetensors()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var model = Unique("lin-hdr");
        await app.ModelWithVersionsAsync(ds, model, 1);
        await app.UploadAsync(ds, model, 1, "gguf/tiny.Q8_0.gguf", GgufBuilder.Llama().Build());
        await app.UploadAsync(ds, model, 1, "weights/model.safetensors",
            ModelFiles.Safetensors([("embed", "BF16", [16, 8]), ("norm", "F32", [8])], new Dictionary<string, string> { ["format"] = "pt" }));
        var artifacts = app.Get<ArtifactService>();

        var gguf = await artifacts.ReadHeaderAsync(model, 1, "gguf/tiny.Q8_0.gguf", Ct);
        Assert.Null(gguf.Problem);
        var tensors = gguf.Details!.Tensors;
        Assert.Equal(["token_embd.weight", "output_norm.weight"], tensors.Select(t => t.Name));
        Assert.Equal("Q8_0", tensors[0].Dtype);
        Assert.Equal([64UL, 3UL], tensors[0].Shape);
        Assert.Equal(192UL, tensors[0].Elements);
        var metadata = gguf.Details.Metadata.ToDictionary(m => m.Key);
        Assert.Equal("llama", metadata["general.architecture"].Value);
        Assert.Equal("8192", metadata["llama.context_length"].Value);
        Assert.Equal("[3 × string]", metadata["tokenizer.ggml.tokens"].Value);
        Assert.StartsWith("7 (", metadata["general.file_type"].Value, StringComparison.Ordinal);
        Assert.Equal("llama", gguf.Facts!.Architecture);

        var st = await artifacts.ReadHeaderAsync(model, 1, "weights/model.safetensors", Ct);
        Assert.Equal(["embed", "norm"], st.Details!.Tensors.Select(t => t.Name));
        Assert.Equal([16UL, 8UL], st.Details.Tensors[0].Shape);
        Assert.Equal(256UL, st.Details.Tensors[0].Bytes);
        Assert.Equal("pt", Assert.Single(st.Details.Metadata).Value);
    }

    [Fact]
    public async Task Header_viewer_turns_hostile_headers_into_readable_problems()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var model = Unique("lin-evil");
        await app.ModelWithVersionsAsync(ds, model, 1);
        var lying = GgufBuilder.Llama();
        lying.TensorCountOverride = 1_000_000_000;
        await app.UploadAsync(ds, model, 1, "lying.gguf", lying.Build());
        // A metadata string that claims 2^62 bytes, and a safetensors header that claims 100 MB more than the file has.
        var huge = new GgufBuilder().Raw("general.description", 8, w => w.Write(1UL << 62)).Build();
        await app.UploadAsync(ds, model, 1, "huge-string.gguf", huge);
        await app.UploadAsync(ds, model, 1, "short.safetensors", ModelFiles.SafetensorsRaw("{}", 0, declaredHeaderLength: 99_000_000));
        await app.UploadAsync(ds, model, 1, "README.md", "# hi"u8.ToArray());
        var artifacts = app.Get<ArtifactService>();

        foreach (var (path, words) in new[] { ("lying.gguf", "tensors"), ("huge-string.gguf", "past the end"), ("short.safetensors", "claims"),
            ("README.md", "safetensors and GGUF") })
        {
            var view = await artifacts.ReadHeaderAsync(model, 1, path, Ct);
            Assert.Null(view.Details);
            Assert.Contains(words, view.Problem, StringComparison.Ordinal);
        }

        await Assert.ThrowsAsync<ModelRegistry.Core.Common.NotFoundException>(() => artifacts.ReadHeaderAsync(model, 1, "nope.gguf", Ct));
    }

    [Fact]
    public void Detail_reading_caps_names_and_values_and_never_sizes_from_the_header()
    {
        var longName = new string('t', 1000);
        var file = new GgufBuilder().String("general.architecture", "llama").String("note", new string('x', 5000) + "\u0007")
            .Tensor(longName, 0, 4).Build();
        var details = new HeaderDetails();
        using var stream = new MemoryStream(file, writable: false);

        GgufReader.Read(stream, file.Length, details);

        Assert.Equal(HeaderDetails.MaxTextChars, details.Tensors[0].Name.Length);
        Assert.EndsWith("…", details.Tensors[0].Name, StringComparison.Ordinal);
        var note = Assert.Single(details.Metadata, m => m.Key == "note").Value;
        Assert.Contains("5,001 bytes", note, StringComparison.Ordinal);
        Assert.True(note.Length < 400);
    }
}
