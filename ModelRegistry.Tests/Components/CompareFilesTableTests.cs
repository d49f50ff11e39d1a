using Bunit;
using ModelRegistry.Core.Comparison;
using ModelRegistry.Web.Components.Pages.Comparison.Components;

namespace ModelRegistry.Tests.Components;

/// <summary>The comparison's Files section (shown once a files feature registers an <see cref="IVersionFileIndex"/>).</summary>
public sealed class CompareFilesTableTests : IAsyncDisposable
{
    private readonly BunitContext _ctx = ComponentTestContext.Create();

    public ValueTask DisposeAsync() => _ctx.DisposeAsync();

    [Fact]
    public void Each_path_says_same_changed_added_or_removed_against_the_first_version()
    {
        var files = ComparisonService.CompareFiles([1, 2],
        [
            [new VersionFile("config.json", "aaaaaaaaaaaaaaaa", 10), new VersionFile("model.gguf", "bbbbbbbbbbbbbbbb", 100), new VersionFile("old.txt", "cccccccccccccccc", 1)],
            [new VersionFile("config.json", "aaaaaaaaaaaaaaaa", 10), new VersionFile("model.gguf", "dddddddddddddddd", 100), new VersionFile("new.txt", "eeeeeeeeeeeeeeee", 5)],
        ]);

        var cut = _ctx.Render<CompareFilesTable>(p => p.Add(x => x.Versions, [1, 2]).Add(x => x.Files, files));

        var second = cut.FindAll("tbody tr").ToDictionary(r => r.QuerySelector("th")!.TextContent, r => r.QuerySelectorAll("td")[1]);
        Assert.Equal("same", second["config.json"].QuerySelector(".file-change")?.TextContent);
        Assert.Equal("changed", second["model.gguf"].QuerySelector(".file-changed")?.TextContent);
        Assert.Equal("dddddddddddd", second["model.gguf"].QuerySelector(".file-hash")?.TextContent);
        Assert.Equal("added", second["new.txt"].QuerySelector(".file-added")?.TextContent);
        Assert.Equal("removed", second["old.txt"].QuerySelector(".file-removed")?.TextContent);
        Assert.Null(second["old.txt"].QuerySelector(".file-hash"));
    }
}
