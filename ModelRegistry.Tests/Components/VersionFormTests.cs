using AngleSharp.Dom;
using Bunit;
using Microsoft.AspNetCore.Components.Web;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Versions;
using ModelRegistry.Web.Components.Pages.Versions.Components;
using MudBlazor;

namespace ModelRegistry.Tests.Components;

public sealed class VersionFormTests : IAsyncDisposable
{
    private const string GoodSha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    private readonly BunitContext _ctx = DashboardTestContext.Create();
    private readonly List<VersionInput> _submitted = [];
    private IRenderedComponent<VersionForm> _form = null!;
    private IRenderedComponent<MudPopoverProvider> _popovers = null!;

    private void RenderForm(IReadOnlyList<int>? existing = null, VersionInfo? initial = null, int? carriedFrom = null,
        ModelRegistry.Core.Artifacts.MetadataOrigins? origins = null)
    {
        (_form, _popovers) = _ctx.RenderWithPopovers<VersionForm>(p => p
            .Add(x => x.ExistingVersions, existing ?? [])
            .Add(x => x.Initial, initial)
            .Add(x => x.CarriedFrom, carriedFrom)
            .Add(x => x.Origins, origins)
            .Add(x => x.OnSubmit, (VersionInput input) => _submitted.Add(input)));
    }

    /// <summary>The input a visible label names, as a person finds it.</summary>
    private IElement Field(string label, int index = 0)
    {
        var labels = _form.FindAll("label").Where(l => l.TextContent.Trim() == label).ToList();
        Assert.True(labels.Count > index, $"No field labelled '{label}' (#{index}).");
        return _form.Find("#" + labels[index].GetAttribute("for"));
    }

    private void Type(string label, string value, int index = 0) => Field(label, index).Change(value);

    /// <summary>The select a label names: its current text, and the options it offers once opened.</summary>
    private IElement Select(string label) => _form.Find($"[role=combobox][aria-label='{label}']");

    private IReadOnlyList<IElement> OpenSelect(string label)
    {
        Select(label).Closest(".mud-input-control")!.MouseDown();
        return _popovers.WaitForElements(".mud-popover-open .mud-list-item");
    }

    private void Choose(string label, string option) =>
        OpenSelect(label).Single(i => i.TextContent.Trim() == option).Click();

    /// <summary>Clicks the submit button and waits for its handler (validation, then OnSubmit) to finish.</summary>
    private Task SubmitAsync() =>
        _form.FindAll("button").Single(b => b.TextContent.Trim() == "Create version").ClickAsync(new MouseEventArgs());

    private string ValidationMessages() => string.Join(" | ", _form.FindAll(".mud-input-error").Select(e => e.TextContent.Trim()));

    [Fact]
    public async Task Submitting_raises_OnSubmit_with_the_typed_values()
    {
        RenderForm(existing: [1, 2]);

        Type("Source", "https://github.com/acme/train/commit/abc123");
        Type("Base model", "meta-llama/Llama-3.1-8B-Instruct");
        Type("Parameter count", "8030261248");
        Type("Context length (tokens)", "131072");
        Type("Quantization", "Q4_K_M");
        Choose("Weight format", "Gguf");
        Type("Tags", "chat,  Support , ,e2e");
        Choose("Derived from version", "Version 2");
        _form.FindAll("button").Single(b => b.TextContent.Contains("Add data set")).Click();
        Type("Data set name", "support-tickets");
        Type("Version", "2024-06");
        Type("Split", "train");
        Type("URI", "s3://datasets/support-tickets/2024-06/");
        Type("SHA-256 (optional)", GoodSha);
        await SubmitAsync();

        var input = Assert.Single(_submitted);
        Assert.Equal("https://github.com/acme/train/commit/abc123", input.Source);
        Assert.Equal("meta-llama/Llama-3.1-8B-Instruct", input.BaseModel);
        Assert.Equal(8_030_261_248L, input.ParameterCount);
        Assert.Equal(131_072, input.ContextLength);
        Assert.Equal("Q4_K_M", input.Quantization);
        Assert.Equal(WeightFormat.Gguf, input.Format);
        Assert.Equal(["chat", "Support", "e2e"], input.Tags);
        Assert.Equal(2, input.ParentVersion);
        var dataset = Assert.Single(input.Datasets!);
        Assert.Equal(new DatasetInfo("support-tickets", "2024-06", "s3://datasets/support-tickets/2024-06/", GoodSha, "train"), dataset);
    }

    [Theory]
    [InlineData("not-a-hash")]
    [InlineData("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0g")]
    public async Task A_bad_sha256_blocks_submit_and_says_why(string sha)
    {
        RenderForm();
        _form.FindAll("button").Single(b => b.TextContent.Contains("Add data set")).Click();
        Type("Data set name", "support-tickets");
        Type("SHA-256 (optional)", sha);
        await SubmitAsync();

        _form.WaitForAssertion(() => Assert.Contains("A SHA-256 is 64 hexadecimal characters.", ValidationMessages()));
        Assert.Empty(_submitted);
    }

    [Theory]
    [InlineData("data/train.jsonl")]
    [InlineData("/data/train.jsonl")]
    [InlineData("train split")]
    public async Task A_dataset_uri_that_is_not_absolute_blocks_submit_and_says_why(string uri)
    {
        RenderForm();
        _form.FindAll("button").Single(b => b.TextContent.Contains("Add data set")).Click();
        Type("Data set name", "support-tickets");
        Type("URI", uri);
        await SubmitAsync();

        _form.WaitForAssertion(() => Assert.Contains("Enter an absolute URI", ValidationMessages()));
        Assert.Empty(_submitted);
    }

    [Fact]
    public async Task Initial_values_prefill_the_fields_and_submit_unchanged()
    {
        var initial = new VersionInfo("chat", 3, Stage.Staging, "ds", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch,
            Source: "run-42", Description: "Longer context.", Architecture: "LlamaForCausalLM", BaseModel: "meta-llama/Llama-3.1-8B",
            ParameterCount: 8_030_261_248, ContextLength: 131_072, Quantization: "bf16", Format: WeightFormat.Safetensors,
            License: "llama3.1", Tags: ["chat", "long-context"], ParentVersion: 2,
            Datasets: [new DatasetInfo("ultrachat", "1.0", "hf://datasets/ultrachat", GoodSha, "train")]);
        RenderForm(existing: [1, 2, 3], initial: initial);

        Assert.Equal("run-42", Field("Source").GetAttribute("value"));
        Assert.Equal("meta-llama/Llama-3.1-8B", Field("Base model").GetAttribute("value"));
        Assert.Equal("LlamaForCausalLM", Field("Architecture").GetAttribute("value"));
        Assert.Equal("8030261248", Field("Parameter count").GetAttribute("value"));
        Assert.Equal("131072", Field("Context length (tokens)").GetAttribute("value"));
        Assert.Equal("llama3.1", Field("Licence").GetAttribute("value"));
        Assert.Equal("chat, long-context", Field("Tags").GetAttribute("value"));
        Assert.Equal("Safetensors", Select("Weight format").TextContent.Trim());
        Assert.Equal("Version 2", Select("Derived from version").TextContent.Trim());
        Assert.Equal("ultrachat", Field("Data set name").GetAttribute("value"));
        Assert.Equal("hf://datasets/ultrachat", Field("URI").GetAttribute("value"));

        await SubmitAsync();

        var input = Assert.Single(_submitted);
        Assert.Equal(
            new VersionInput("run-42", "Longer context.", "LlamaForCausalLM", "meta-llama/Llama-3.1-8B", 8_030_261_248, 131_072,
                "bf16", WeightFormat.Safetensors, "llama3.1", input.Tags, 2, input.Datasets),
            input);
        Assert.Equal(["chat", "long-context"], input.Tags);
        Assert.Equal(initial.Datasets, input.Datasets);
    }

    [Fact]
    public void Parent_version_select_offers_none_and_each_existing_version()
    {
        RenderForm(existing: [3, 2, 1]);

        var options = OpenSelect("Derived from version").Select(i => i.TextContent.Trim()).ToList();

        Assert.Equal(["None", "Version 3", "Version 2", "Version 1"], options);
    }

    private static VersionInfo Previous => new("chat", 2, Stage.Staging, "ds", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch,
        Source: null, Description: null, Architecture: "LlamaForCausalLM", BaseModel: "meta-llama/Llama-3.1-8B",
        ParameterCount: 8_030_261_248, ContextLength: 131_072, Quantization: "bf16", Format: WeightFormat.Safetensors,
        License: "llama3.1", Tags: [], ParentVersion: 2, Datasets: []);

    private string OriginText(string field) => _form.Find($"[data-testid='origin-{field}']").TextContent.Trim();

    [Fact]
    public async Task Values_prefilled_from_the_previous_version_are_shown_and_sent_as_carried_over_until_a_person_changes_them()
    {
        RenderForm(existing: [1, 2], initial: Previous, carriedFrom: 2);

        Assert.Equal("carried over from v2", OriginText("contextLength"));
        Assert.Equal("carried over from v2", OriginText("format"));
        Type("Context length (tokens)", "32768");
        Type("Quantization", "");
        Assert.Equal("entered", OriginText("contextLength"));
        Assert.Empty(_form.FindAll("[data-testid='origin-quantization']"));
        await SubmitAsync();

        var input = Assert.Single(_submitted);
        Assert.Equal(32768, input.ContextLength);
        Assert.Equal(["architecture", "baseModel", "format", "license", "parameterCount"], input.CarriedOver!.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_version_derived_from_another_than_the_one_copied_sends_nothing_as_carried_over()
    {
        RenderForm(existing: [1, 2], initial: Previous, carriedFrom: 2);

        Choose("Derived from version", "Version 1");
        await SubmitAsync();

        Assert.Null(Assert.Single(_submitted).CarriedOver);
    }

    [Fact]
    public void Editing_shows_where_each_stored_value_came_from_and_a_changed_one_as_entered()
    {
        var origins = new ModelRegistry.Core.Artifacts.MetadataOrigins(
            [new ModelRegistry.Core.Artifacts.MetadataFromFile("contextLength", "131072", "config.json")], [])
        {
            Fields = new Dictionary<string, FieldOrigin>
            {
                ["contextLength"] = FieldOrigin.FileHeader,
                ["license"] = FieldOrigin.Card,
                ["architecture"] = FieldOrigin.Entered,
            },
            MixedWeightFormats = ["gguf", "safetensors"],
        };
        RenderForm(existing: [1], initial: Previous, origins: origins);

        Assert.Equal("from config.json", OriginText("contextLength"));
        Assert.Equal("from card", OriginText("license"));
        Assert.Equal("entered", OriginText("architecture"));
        Assert.Contains("mixes weight formats (GGUF and safetensors)", _form.Find("[data-testid='mixed-formats']").TextContent, StringComparison.Ordinal);
        Type("Licence", "mit");
        Assert.Equal("entered", OriginText("license"));
    }

    public ValueTask DisposeAsync() => _ctx.DisposeAsync();
}
