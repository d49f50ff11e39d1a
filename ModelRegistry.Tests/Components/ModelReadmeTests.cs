using Bunit;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Deployments;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Versions;
using ModelRegistry.Web.Components.Pages.Models.Components;

namespace ModelRegistry.Tests.Components;

/// <summary>The model page's README body and facts panel, from the values they are given.</summary>
public sealed class ModelReadmeTests : IAsyncDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 3, 0, 0, TimeSpan.Zero);

    private readonly BunitContext _ctx = DashboardTestContext.Create();

    public ModelReadmeTests()
    {
        _ctx.Services.AddSingleton(new CardRenderer());
        _ctx.Services.AddSingleton<TimeProvider>(TimeProvider.System);
    }

    private static VersionInfo Version(int number, Stage stage, DateTimeOffset? frozenAt = null) => new(
        "support-bot", number, stage, "ds", Now.AddDays(-3), Now.AddDays(-3), null, null, "LlamaForCausalLM", "meta-llama/Llama-3.1-8B",
        8_030_261_248, 131_072, "Q4_K_M", WeightFormat.Gguf, "<b>apache-2.0</b>", [], null, [],
        "sha256:" + new string('a', 64), frozenAt);

    private static ModelCard CardOf(string markdown) => new("support-bot", 3, new CardRevisionInfo(1, "ds", Now.AddDays(-2), null, markdown.Length, ""), markdown);

    [Fact]
    public void The_newest_version_card_is_labelled_as_not_in_Production_and_its_HTML_stays_text()
    {
        var readme = _ctx.Render<ModelReadme>(p => p
            .Add(r => r.Version, Version(3, Stage.Staging))
            .Add(r => r.Card, CardOf("# Hello\n\n<img src=x onerror=alert(1)>\n\n## Intended use\n\nChat."))
            .Add(r => r.InProduction, false));

        Assert.Equal("Card of version 3 — not in Production", readme.Find(".readme-label").TextContent.Trim());
        var article = readme.Find("article[aria-label='Model card']");
        Assert.Equal("Intended use", article.QuerySelector("h2")!.TextContent);
        Assert.Null(article.QuerySelector("img"));
        Assert.Equal("/models/support-bot/versions/3?tab=card", readme.Find("a[href*='versions/3']").GetAttribute("href"));
    }

    [Fact]
    public void The_production_card_is_not_labelled_as_not_in_Production_and_a_missing_card_says_so()
    {
        var readme = _ctx.Render<ModelReadme>(p => p
            .Add(r => r.Version, Version(2, Stage.Production))
            .Add(r => r.Card, null)
            .Add(r => r.InProduction, true));

        Assert.Equal("Card of version 2 — in Production", readme.Find(".readme-label").TextContent.Trim());
        Assert.DoesNotContain("not in Production", readme.Markup);
        Assert.Contains("Version 2 has no model card yet", readme.Markup);
        Assert.Empty(readme.FindAll("article"));
    }

    [Fact]
    public void The_side_panel_shows_the_version_facts_and_the_latest_deployment()
    {
        var deployment = new DeploymentInfo(7, "support-bot", 2, Stage.Production, "prod-eu", DeploymentStatus.Deployed, null, null, null, "ci",
            Now.AddHours(-2));
        var panel = _ctx.Render<ModelSidePanel>(p => p
            .Add(s => s.Version, Version(2, Stage.Production, frozenAt: Now.AddDays(-1)))
            .Add(s => s.Aliases, ["champion", "stable"])
            .Add(s => s.DeploymentCount, 4)
            .Add(s => s.LatestDeployment, deployment));

        string Field(string name) => panel.Find($"[data-field={name}]").TextContent.Trim();
        Assert.Equal("Production", Field("stage"));
        Assert.Equal(["champion", "stable"], panel.FindAll("[data-field=aliases] .alias-chip").Select(c => c.TextContent.Trim()));
        Assert.Contains("Frozen since 2026-12-05 03:00 UTC", Field("digest"));
        Assert.Equal("<b>apache-2.0</b>", Field("licence"));
        Assert.Empty(panel.FindAll("[data-field=licence] b"));
        Assert.Equal("8.03 B", Field("parameters"));
        Assert.Contains("131", Field("context"));
        Assert.Equal("Gguf · Q4_K_M", Field("format"));
        Assert.Contains("4 records", Field("deployments"));
        Assert.Contains("Latest: v2 to prod-eu", Field("deployments"));
        Assert.DoesNotContain("Download", panel.Markup, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void An_unfrozen_version_has_no_digest_to_promise_and_no_deployments_says_none()
    {
        var panel = _ctx.Render<ModelSidePanel>(p => p.Add(s => s.Version, Version(1, Stage.None)));

        Assert.Contains("Not frozen yet", panel.Find("[data-field=digest]").TextContent);
        Assert.Equal("—", panel.Find("[data-field=aliases]").TextContent.Trim());
        Assert.Equal("None recorded", panel.Find("[data-field=deployments]").TextContent.Trim());
    }

    public async ValueTask DisposeAsync() => await _ctx.DisposeAsync();
}
