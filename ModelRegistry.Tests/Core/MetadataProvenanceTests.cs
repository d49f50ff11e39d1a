using System.Text.Json;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

/// <summary>Where each metadata value came from, and which value may replace which (docs/design.md, "Metadata provenance").</summary>
public sealed class MetadataProvenanceTests(RegistryApp app) : IClassFixture<RegistryApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private VersionService Versions => app.Get<VersionService>();
    private ArtifactService Artifacts => app.Get<ArtifactService>();

    /// <summary>Version 1 entered by a person, version 2 prefilled from it as the dashboard's form does.</summary>
    private async Task<TestUser> CarriedOverAsync(string model, params string[] carried)
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, model);
        await app.CreateVersionAsync(ds, model, new VersionInput(Architecture: "llama", ContextLength: 8192, Quantization: "bf16", License: "apache-2.0"));
        await app.CreateVersionAsync(ds, model, new VersionInput(Architecture: "llama", ContextLength: 8192, Quantization: "bf16",
            License: "apache-2.0", ParentVersion: 1, CarriedOver: carried));
        return ds;
    }

    [Fact]
    public async Task A_new_versions_carried_over_values_are_corrected_by_its_file_headers()
    {
        var ds = await CarriedOverAsync("prov-carried", "architecture", "contextLength", "quantization", "license");

        var origins = await Artifacts.MetadataOriginsAsync("prov-carried", 2, Ct);
        Assert.Equal(FieldOrigin.CarriedOver, origins.OriginOf("contextLength"));
        var upload = await app.UploadAsync(ds, "prov-carried", 2, "config.json", ModelFiles.Config(contextLength: 131072));

        var version = await Versions.GetAsync("prov-carried", 2, Ct);
        Assert.Equal(131072, version.ContextLength);
        Assert.Equal("LlamaForCausalLM", version.Architecture);
        Assert.Empty(upload.Conflicts);
        origins = await Artifacts.MetadataOriginsAsync("prov-carried", 2, Ct);
        Assert.Equal(FieldOrigin.FileHeader, origins.OriginOf("contextLength"));
        Assert.Equal(FieldOrigin.CarriedOver, origins.OriginOf("license"));
        Assert.Empty(origins.Conflicts);
        // Version 1's values were entered: the same file only reports that it disagrees.
        var first = await app.UploadAsync(ds, "prov-carried", 1, "config.json", ModelFiles.Config(contextLength: 131072));
        Assert.Equal(8192, (await Versions.GetAsync("prov-carried", 1, Ct)).ContextLength);
        Assert.Contains(first.Conflicts, c => c.Field == MetadataFields.ContextLength);
    }

    [Fact]
    public async Task A_value_claimed_as_carried_over_that_differs_from_the_parent_counts_as_entered()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, "prov-claim");
        await app.CreateVersionAsync(ds, "prov-claim", new VersionInput(ContextLength: 8192));
        await app.CreateVersionAsync(ds, "prov-claim", new VersionInput(ContextLength: 4096, ParentVersion: 1, CarriedOver: ["contextLength"]));

        await app.UploadAsync(ds, "prov-claim", 2, "config.json", ModelFiles.Config(contextLength: 131072));

        Assert.Equal(4096, (await Versions.GetAsync("prov-claim", 2, Ct)).ContextLength);
        var origins = await Artifacts.MetadataOriginsAsync("prov-claim", 2, Ct);
        Assert.Equal(FieldOrigin.Entered, origins.OriginOf("contextLength"));
        Assert.Equal("131072", origins.ConflictFor(MetadataFields.ContextLength)?.FromFile);
    }

    [Fact]
    public async Task Editing_a_carried_over_value_makes_it_entered_and_leaving_it_keeps_it_carried_over()
    {
        var ds = await CarriedOverAsync("prov-edit", "architecture", "contextLength");

        await Versions.UpdateAsync(ds.Actor, "prov-edit", 2, new VersionInput(Architecture: "llama", ContextLength: 16384), Ct);

        var origins = await Artifacts.MetadataOriginsAsync("prov-edit", 2, Ct);
        Assert.Equal(FieldOrigin.CarriedOver, origins.OriginOf("architecture"));
        Assert.Equal(FieldOrigin.Entered, origins.OriginOf("contextLength"));
        await Assert.ThrowsAsync<ValidationFailedException>(() =>
            Versions.UpdateAsync(ds.Actor, "prov-edit", 2, new VersionInput(CarriedOver: ["architecture"]), Ct));
    }

    [Fact]
    public async Task Use_the_files_value_resolves_a_conflict_and_is_audited()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, "prov-adopt");
        await app.CreateVersionAsync(ds, "prov-adopt", new VersionInput(ContextLength: 4096));
        await app.UploadAsync(ds, "prov-adopt", 1, "config.json", ModelFiles.Config(contextLength: 32768));
        var before = await app.LastAuditSequenceAsync();

        var origins = await Artifacts.UseFileValueAsync(ds.Actor, "prov-adopt", 1, MetadataFields.ContextLength, Ct);

        Assert.Equal(32768, (await Versions.GetAsync("prov-adopt", 1, Ct)).ContextLength);
        Assert.Empty(origins.Conflicts);
        Assert.Equal(FieldOrigin.FileHeader, origins.OriginOf("contextLength"));
        Assert.Equal("config.json", origins.For(MetadataFields.ContextLength)?.Source);
        var e = Assert.Single(await app.AuditEventsAsync(before));
        Assert.Equal(AuditActions.VersionUpdated, e.Action);
        var data = JsonDocument.Parse(e.Data).RootElement;
        Assert.Equal(("4096", "32768"), (data.GetProperty("before").GetString(), data.GetProperty("after").GetString()));
        // From now on the field follows the files.
        await app.UploadAsync(ds, "prov-adopt", 1, "config.json", ModelFiles.Config(contextLength: 65536));
        Assert.Equal(65536, (await Versions.GetAsync("prov-adopt", 1, Ct)).ContextLength);
    }

    [Fact]
    public async Task Use_the_files_value_is_refused_on_a_frozen_version_and_without_a_file_value()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, "prov-frozen");
        await app.CreateVersionAsync(ds, "prov-frozen", new VersionInput(ContextLength: 4096));
        await Assert.ThrowsAsync<ValidationFailedException>(() =>
            Artifacts.UseFileValueAsync(ds.Actor, "prov-frozen", 1, MetadataFields.ContextLength, Ct));
        await app.UploadAsync(ds, "prov-frozen", 1, "config.json", ModelFiles.Config(contextLength: 32768));
        await app.PromoteAsync(ds, await app.CreateUserAsync(Roles.Reviewer), "prov-frozen", 1, Stage.Staging);

        await Assert.ThrowsAsync<VersionFrozenException>(() =>
            Artifacts.UseFileValueAsync(ds.Actor, "prov-frozen", 1, MetadataFields.ContextLength, Ct));
        Assert.Equal(4096, (await Versions.GetAsync("prov-frozen", 1, Ct)).ContextLength);
    }

    [Fact]
    public async Task The_cards_front_matter_fills_licence_and_base_model_unless_a_person_entered_them()
    {
        var ds = await CarriedOverAsync("prov-card", "license");
        const string Card = "---\nlicense: mit\nbase_model: meta-llama/Llama-3.1-8B\n---\n# Card\n";

        await app.Get<CardService>().SaveAsync(ds.Actor, "prov-card", 2, Card, null, Ct);
        await app.Get<CardService>().SaveAsync(ds.Actor, "prov-card", 1, Card, null, Ct);

        var second = await Versions.GetAsync("prov-card", 2, Ct);
        Assert.Equal(("mit", "meta-llama/Llama-3.1-8B"), (second.License, second.BaseModel));
        var origins = await Artifacts.MetadataOriginsAsync("prov-card", 2, Ct);
        Assert.Equal(FieldOrigin.Card, origins.OriginOf("license"));
        Assert.Equal(FieldOrigin.Card, origins.OriginOf("baseModel"));
        var first = await Versions.GetAsync("prov-card", 1, Ct);
        Assert.Equal("apache-2.0", first.License); // entered: the card does not overwrite it
        Assert.Equal("meta-llama/Llama-3.1-8B", first.BaseModel); // empty: filled
    }

    [Fact]
    public async Task A_copy_carries_entered_values_over_so_its_files_correct_them()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, "prov-copy");
        await app.CreateVersionAsync(ds, "prov-copy", new VersionInput(ContextLength: 4096, License: "mit"));

        await app.CreateVersionAsync(ds, "prov-copy", new VersionInput(CopyFrom: 1, License: "apache-2.0"));
        await app.UploadAsync(ds, "prov-copy", 2, "config.json", ModelFiles.Config(contextLength: 32768));

        var origins = await Artifacts.MetadataOriginsAsync("prov-copy", 2, Ct);
        Assert.Equal(FieldOrigin.FileHeader, origins.OriginOf("contextLength"));
        Assert.Equal(FieldOrigin.Entered, origins.OriginOf("license"));
        Assert.Equal(32768, (await Versions.GetAsync("prov-copy", 2, Ct)).ContextLength);
    }

    [Fact]
    public async Task A_version_mixing_gguf_and_safetensors_is_flagged()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, "prov-mixed");
        await app.CreateVersionAsync(ds, "prov-mixed");
        await app.UploadAsync(ds, "prov-mixed", 1, "model.safetensors",
            ModelFiles.Safetensors([("w", "F16", [4, 4])]));
        Assert.Empty((await Artifacts.MetadataOriginsAsync("prov-mixed", 1, Ct)).MixedWeightFormats);

        await app.UploadAsync(ds, "prov-mixed", 1, "model-q4.gguf", GgufBuilder.Llama().Build());

        Assert.Equal(["gguf", "safetensors"], (await Artifacts.MetadataOriginsAsync("prov-mixed", 1, Ct)).MixedWeightFormats);
    }
}
