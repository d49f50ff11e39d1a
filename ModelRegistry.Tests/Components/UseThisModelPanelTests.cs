using AngleSharp.Dom;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;
using ModelRegistry.Web.Components.Pages.Hub.Components;
using MudBlazor;
using static ModelRegistry.Tests.Infrastructure.LifecycleAppExtensions;

namespace ModelRegistry.Tests.Components;

/// <summary>
/// The "Use this model" panel: the tools as tabs, the revision the user looks at in every snippet and the commit one
/// switch away, a copy button per snippet; and the button that opens it on the Production version of a real registry.
/// </summary>
public sealed class UseThisModelPanelTests(RegistryApp app) : IClassFixture<RegistryApp>, IAsyncDisposable
{
    private const string Commit = "89abcdef0123456789abcdef0123456789abcdef";

    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    private readonly BunitContext _ctx = DashboardTestContext.Create();

    private static UseModelTarget Target(bool frozen = true) =>
        new("http://registry.test/", "registry", "support-bot", "text-generation", 4, Commit, frozen, WeightFormat.Safetensors, null,
            [new("config.json", new string('a', 64))]);

    private IRenderedComponent<UseThisModelPanel> RenderPanel(UseModelTarget target, SnippetRevision revision)
    {
        _ctx.Render<MudPopoverProvider>();
        _ctx.Render<MudSnackbarProvider>();
        return _ctx.Render<UseThisModelPanel>(p => p.Add(x => x.Target, target).Add(x => x.Revision, revision));
    }

    private static IElement Tab(IRenderedComponent<UseThisModelPanel> panel, string tool) =>
        panel.FindAll(".mud-tab").Single(t => t.TextContent.Trim() == tool);

    private static IReadOnlyList<IElement> ShownSnippets(IRenderedComponent<UseThisModelPanel> panel) => panel.FindAll("pre[data-snippet]");

    [Fact]
    public void Each_tool_is_a_tab_and_switching_tabs_shows_that_tools_snippet()
    {
        var panel = RenderPanel(Target(), SnippetRevision.Production);

        Assert.Equal(["Transformers", "vLLM", "TGI", "curl", "mreg"], panel.FindAll(".mud-tab").Select(t => t.TextContent.Trim()));
        Assert.Equal("transformers", Assert.Single(ShownSnippets(panel)).GetAttribute("data-snippet"));

        Tab(panel, "vLLM").Click();

        var vllm = Assert.Single(ShownSnippets(panel));
        Assert.Equal("vllm", vllm.GetAttribute("data-snippet"));
        Assert.Equal("HF_ENDPOINT=http://registry.test/hf HF_TOKEN=\"hf_$REGISTRY_TOKEN\" \\\n  vllm serve registry/support-bot --revision production",
            vllm.TextContent);
    }

    [Fact]
    public void Pin_to_commit_puts_the_commit_in_every_snippet_and_unpinning_puts_the_revision_back()
    {
        var panel = RenderPanel(Target(), SnippetRevision.OfVersion(4));
        Assert.Equal("v4", panel.Find("[data-revision]").TextContent);

        panel.Find(".mud-switch input").Change(true);

        Assert.Equal(Commit, panel.Find("[data-revision]").TextContent);
        foreach (var tool in new[] { "Transformers", "vLLM", "TGI", "curl", "mreg" })
        {
            Tab(panel, tool).Click();
            var code = Assert.Single(ShownSnippets(panel)).TextContent;
            Assert.Contains(Commit, code, StringComparison.Ordinal);
            Assert.DoesNotContain("v4", code, StringComparison.Ordinal);
            Assert.DoesNotContain("/versions/4/", code, StringComparison.Ordinal);
        }

        panel.Find(".mud-switch input").Change(false);

        Assert.Equal("v4", panel.Find("[data-revision]").TextContent);
        Assert.Contains("support-bot@4 ", Assert.Single(ShownSnippets(panel)).TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Pinning_a_version_that_is_not_frozen_warns_that_its_commit_can_still_change()
    {
        var panel = RenderPanel(Target(frozen: false), SnippetRevision.Production);
        Assert.Empty(panel.FindAll("[role=note]"));

        panel.Find(".mud-switch input").Change(true);

        Assert.Contains("v4 is not frozen yet", panel.Find("[role=note]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_snippet_has_a_copy_button_that_copies_exactly_its_text()
    {
        _ctx.JSInterop.Setup<bool>("registry.copyText", _ => true).SetResult(true);
        var panel = RenderPanel(Target(), SnippetRevision.Production);

        foreach (var tool in new[] { "Transformers", "vLLM", "TGI", "curl", "mreg" })
        {
            Tab(panel, tool).Click();
            panel.Find($"button[aria-label='Copy the {tool} snippet']").Click();

            var copied = _ctx.JSInterop.Invocations["registry.copyText"][^1].Arguments[0];
            Assert.Equal(Assert.Single(ShownSnippets(panel)).TextContent, copied);
        }
    }

    [Fact]
    public void The_panel_shows_no_token_and_links_to_the_tokens_page()
    {
        var panel = RenderPanel(Target(), SnippetRevision.Production);

        Assert.Equal("/tokens", panel.FindAll("a").Single(a => a.TextContent.Trim() == "Create a token").GetAttribute("href"));
        Assert.Contains("$REGISTRY_TOKEN", panel.Find(".use-model-token").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_the_model_page_the_button_opens_the_snippets_on_production_with_its_commit_one_click_away()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var reviewer = await app.CreateUserAsync(Roles.Reviewer);
        var model = Unique("use-prod");
        await app.ModelWithVersionsAsync(ds, model, 3);
        await app.UploadAsync(ds, model, 2, "config.json", "{}"u8.ToArray());
        await app.PromoteAsync(ds, reviewer, model, 2, Stage.Production);
        var production = await app.Get<VersionService>().GetAsync(model, 2, Ct);

        var dialogs = await RenderButtonAsync(model);

        var panel = dialogs.FindComponent<UseThisModelPanel>();
        Assert.Equal("production", panel.Find("[data-revision]").TextContent);
        Assert.Contains("v2 now", panel.Markup, StringComparison.Ordinal);
        Assert.Contains($"vllm serve registry/{model} --revision production", SnippetOf(panel, "vLLM"), StringComparison.Ordinal);
        Assert.Contains($"/api/v1/models/{model}/versions/production/files/config.json", SnippetOf(panel, "curl"), StringComparison.Ordinal);

        panel.Find(".mud-switch input").Change(true);

        Assert.Contains($"--revision {production.Commit}", SnippetOf(panel, "vLLM"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_production_version_the_button_opens_the_newest_version_and_says_so()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var model = Unique("use-none");
        await app.ModelWithVersionsAsync(ds, model, 3);

        var panel = (await RenderButtonAsync(model)).FindComponent<UseThisModelPanel>();

        Assert.Equal("v3", panel.Find("[data-revision]").TextContent);
        Assert.Contains("No version is in Production yet", panel.Find("[role=note]").TextContent, StringComparison.Ordinal);
    }

    /// <summary>Renders the model page's button against the real registry, clicks it, and returns the dialog provider once the panel is up.</summary>
    private async Task<IRenderedComponent<MudDialogProvider>> RenderButtonAsync(string model)
    {
        _ctx.Services.AddSingleton(app.Get<VersionService>());
        _ctx.Services.AddSingleton(app.Get<ArtifactService>());
        _ctx.Services.AddSingleton(app.Get<IOptions<HubRepoIdOptions>>());
        _ctx.Render<MudPopoverProvider>();
        var dialogs = _ctx.Render<MudDialogProvider>();
        var info = await app.Get<ModelRegistry.Core.Models.ModelService>().GetAsync(model, Ct);
        var button = _ctx.Render<UseThisModelButton>(p => p.Add(b => b.Model, info));

        button.Find("button").Click();

        dialogs.WaitForAssertion(() => Assert.NotEmpty(dialogs.FindAll("pre[data-snippet]")));
        return dialogs;
    }

    private static string SnippetOf(IRenderedComponent<UseThisModelPanel> panel, string tool)
    {
        Tab(panel, tool).Click();
        return Assert.Single(ShownSnippets(panel)).TextContent;
    }

    public ValueTask DisposeAsync() => _ctx.DisposeAsync();
}
