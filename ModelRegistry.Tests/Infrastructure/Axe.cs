using System.Text.Json;
using Microsoft.Playwright;

namespace ModelRegistry.Tests.Infrastructure;

/// <summary>
/// axe-core (pinned in <c>a11y/package-lock.json</c>) run inside a Playwright page against the WCAG 2.0 A/AA and
/// 2.1 AA rules. The script is evaluated through the DevTools protocol, so the page's Content-Security-Policy
/// (which forbids inline scripts) stays as the dashboard serves it.
/// </summary>
public static class Axe
{
    private static readonly string[] Tags = ["wcag2a", "wcag2aa", "wcag21aa"];
    private static string? _source;

    private static async Task<string> SourceAsync()
    {
        if (_source is null)
        {
            var folder = NodeTool.Folder("a11y");
            await NodeTool.EnsureRestoredAsync(folder, "axe-core", TestContext.Current.CancellationToken);
            _source = await File.ReadAllTextAsync(Path.Combine(folder, "node_modules", "axe-core", "axe.min.js"), TestContext.Current.CancellationToken);
        }

        return _source;
    }

    /// <summary>The serious and critical violations on the page as it is now, one readable line per failing element.</summary>
    public static async Task<IReadOnlyList<string>> SeriousViolationsAsync(IPage page)
    {
        if (!await page.EvaluateAsync<bool>("() => typeof window.axe === 'object'"))
        {
            await page.EvaluateAsync(await SourceAsync() + "\n;0");
        }

        var json = await page.EvaluateAsync<string>(
            """
            async tags => {
              const result = await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
              return JSON.stringify(result.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .flatMap(v => v.nodes.map(n => ({ id: v.id, impact: v.impact, help: v.help, target: n.target.join(' '), summary: n.failureSummary }))));
            }
            """, Tags);
        var found = JsonSerializer.Deserialize<List<AxeFinding>>(json, JsonOptions) ?? [];
        return found.Select(f => $"{f.Impact} {f.Id} ({f.Help}) at {f.Target}: {f.Summary?.ReplaceLineEndings(" ")}").ToList();
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNameCaseInsensitive = true };

    private sealed record AxeFinding(string Id, string Impact, string Help, string Target, string? Summary);
}
