using Bunit;
using ModelRegistry.Web.Components.Pages.Cards.Components;

namespace ModelRegistry.Tests.Components;

/// <summary>The card editor's live preview and metadata panel follow the markdown as it is typed.</summary>
public sealed class CardEditorTests : IAsyncDisposable
{
    private readonly BunitContext _ctx = ComponentTestContext.Create();

    public ValueTask DisposeAsync() => _ctx.DisposeAsync();

    [Fact]
    public void Preview_shows_the_initial_card_rendered()
    {
        var cut = _ctx.Render<CardEditor>(p => p.Add(x => x.InitialMarkdown, "# Support assistant\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"));

        var preview = cut.Find("[data-testid=card-preview]");
        Assert.Equal("Support assistant", preview.QuerySelector("h1")?.TextContent);
        Assert.NotNull(preview.QuerySelector("table"));
    }

    [Fact]
    public void Typing_updates_the_preview_and_keeps_script_inert()
    {
        var cut = _ctx.Render<CardEditor>(p => p.Add(x => x.InitialMarkdown, "# Draft"));

        cut.Find("textarea").Input("## Intended use\n\nSupport staff only. <script>alert(1)</script> [x](javascript:alert(1))");

        cut.WaitForAssertion(() =>
        {
            var preview = cut.Find("[data-testid=card-preview]");
            Assert.Equal("Intended use", preview.QuerySelector("h2")?.TextContent);
            Assert.Empty(preview.QuerySelectorAll("script"));
            Assert.Contains("<script>alert(1)</script>", preview.TextContent);
            Assert.Null(preview.QuerySelector("a")?.GetAttribute("href"));
        }, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Metadata_panel_reads_the_front_matter_and_reports_broken_yaml()
    {
        var cut = _ctx.Render<CardEditor>(p => p.Add(x => x.InitialMarkdown, "---\nlicense: apache-2.0\ntags: [chat]\n---\n# Card"));
        Assert.Contains("apache-2.0", cut.Find("[aria-label='Card metadata']").TextContent);

        cut.Find("textarea").Input("---\nlicense: mit\ntags: chat: x\n---\n# Card");

        cut.WaitForAssertion(() => Assert.Contains("front matter has problems", cut.Find("[aria-label='Card metadata']").TextContent),
            TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Missing_required_sections_are_named()
    {
        var cut = _ctx.Render<CardEditor>(p => p.Add(x => x.InitialMarkdown, "## Intended use\n## Evaluation\n"));

        Assert.Contains("Limitations, Training data", cut.Markup);
    }

    [Fact]
    public void Save_hands_over_the_text_and_the_comment()
    {
        CardDraft? saved = null;
        var cut = _ctx.Render<CardEditor>(p => p
            .Add(x => x.InitialMarkdown, "# Card\n")
            .Add(x => x.OnSave, (CardDraft d) => saved = d));

        cut.FindAll("input").Single(i => i.GetAttribute("maxlength") == "500").Change("First draft");
        cut.FindAll("button").Single(b => b.TextContent.Contains("Save revision", StringComparison.Ordinal)).Click();

        Assert.Equal(new CardDraft("# Card\n", "First draft"), saved);
    }
}
