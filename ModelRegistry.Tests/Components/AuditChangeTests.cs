using Bunit;
using ModelRegistry.Web.Components.Pages.Audit.Components;

namespace ModelRegistry.Tests.Components;

/// <summary>Audit events read as changes, not JSON.</summary>
public sealed class AuditChangeTests : IAsyncDisposable
{
    private readonly BunitContext _ctx = DashboardTestContext.Create();

    [Fact]
    public void A_before_and_after_pair_shows_only_the_fields_that_changed()
    {
        var lines = AuditChange.Describe("""
            {"before":{"contextLength":4096,"license":"mit","tags":["a"]},"after":{"contextLength":32768,"license":"mit","tags":["a","b"]},"digest":"sha256:ab"}
            """);

        Assert.Equal(
        [
            new AuditChangeLine("contextLength", "4096", "32768", true),
            new AuditChangeLine("tags", "a", "a, b", true),
            new AuditChangeLine("digest", null, "sha256:ab", false),
        ], lines);
    }

    [Fact]
    public void Other_events_show_their_fields_shortened_and_skip_nulls()
    {
        var lines = AuditChange.Describe($$"""{"path":"config.json","replaced":null,"size":12,"note":"{{new string('x', 500)}}","flags":[],"unsafe":false}""");

        Assert.Equal(["path", "size", "note", "flags", "unsafe"], lines.Select(l => l.Field));
        Assert.Equal(AuditChange.MaxValueLength, lines[2].After.Length);
        Assert.Equal(("none", "no"), (lines[3].After, lines[4].After));
    }

    [Fact]
    public void The_view_shows_before_and_after_as_text_with_the_raw_json_behind_a_disclosure()
    {
        const string Json = """{"before":{"name":"<b>x</b>"},"after":{"name":"<img src=x onerror=alert(1)>"}}""";

        var cut = _ctx.Render<AuditChangeView>(p => p.Add(x => x.Data, Json));

        Assert.Equal("<b>x</b>", cut.Find(".audit-before").TextContent);
        Assert.Equal("<img src=x onerror=alert(1)>", cut.Find(".audit-after").TextContent);
        Assert.Empty(cut.FindAll("img, b"));
        Assert.Equal("Raw JSON", cut.Find("details.audit-raw summary").TextContent);
        Assert.Contains("\"after\"", cut.Find("details.audit-raw pre").TextContent, StringComparison.Ordinal);
    }

    public ValueTask DisposeAsync() => _ctx.DisposeAsync();
}
