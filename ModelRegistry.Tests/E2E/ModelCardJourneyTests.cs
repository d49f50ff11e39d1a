using Microsoft.Playwright;
using ModelRegistry.Core.Evaluation;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

/// <summary>Model cards, the metric chart and the comparison page, as a data scientist uses them in the browser.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ModelCardJourneyTests(BrowserFixture browser)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Card = """
        ---
        license: apache-2.0
        base_model: meta-llama/Llama-3.1-8B-Instruct
        datasets:
          - acme/support-tickets-2026
        tags: [chat, customer-support]
        model-index:
          - name: support-assistant
            results:
              - task: { type: text-generation }
                dataset: { name: MMLU, split: test }
                metrics:
                  - { type: accuracy, value: 0.683 }
        ---
        # Support assistant

        Answers customer questions about our products.

        ## Intended use

        First-line answers in the help centre, always with a link to a human.

        ## Limitations

        - [x] Red-teamed for prompt injection
        - [ ] Not evaluated on languages other than English

        ## Training data

        | Data set | Rows |
        |---|---:|
        | support-tickets-2026 | 184,220 |

        ## Evaluation

        See the Evaluation tab. <script>alert('not run')</script>
        """;

    /// <summary>A full-page picture from the top, without the snackbars that would cover the content.</summary>
    private static async Task ShotAsync(IPage page, string name)
    {
        await page.AddStyleTagAsync(new() { Content = "#mud-snackbar-container, .mud-snackbar { display: none !important; }" });
        await page.EvaluateAsync("() => window.scrollTo(0, 0)");
        await BrowserFixture.ScreenshotAsync(page, name);
    }

    private async Task<(TestUser User, string Model)> ModelAsync(string prefix, int versions)
    {
        var ds = await browser.App.CreateUserAsync(Roles.DataScientist);
        var name = $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];
        await browser.App.RegisterModelAsync(ds, name, "text-generation", "Answers support questions.");
        for (var i = 1; i <= versions; i++)
        {
            await browser.App.CreateVersionAsync(ds, name, new ModelRegistry.Core.Versions.VersionInput(
                Source: $"https://ci.example.com/runs/{100 + i}", BaseModel: "meta-llama/Llama-3.1-8B-Instruct", ParameterCount: 8_030_261_248,
                ContextLength: 131072, License: "llama3.1", ParentVersion: i > 1 ? i - 1 : null,
                Datasets: [new("support-tickets", $"2026-{i:00}", Split: "train")]));
        }

        return (ds, name);
    }

    [Fact]
    public async Task Data_scientist_writes_a_card_sees_the_preview_saves_and_sees_the_revision()
    {
        var (ds, model) = await ModelAsync("e2e-card", 1);
        var page = await browser.NewPageAsync(ds);

        await page.GotoAsync($"/models/{model}/versions/1");
        await BrowserFixture.WaitForCircuitAsync(page);
        await page.GetByRole(AriaRole.Tab, new() { Name = "Model card" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Start from template" }).ClickAsync();
        var editor = page.GetByLabel("Markdown");
        await Assertions.Expect(editor).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("## Intended use"));

        await editor.FillAsync(Card);
        var preview = page.GetByRole(AriaRole.Region, new() { Name = "Preview" });
        await Assertions.Expect(preview.GetByRole(AriaRole.Heading, new() { Name = "Limitations" })).ToBeVisibleAsync();
        await Assertions.Expect(preview.GetByRole(AriaRole.Table)).ToContainTextAsync("184,220");
        await Assertions.Expect(preview).ToContainTextAsync("<script>alert('not run')</script>");
        Assert.Equal(0, await preview.Locator("script").CountAsync());
        await Assertions.Expect(page.GetByLabel("Card metadata")).ToContainTextAsync("apache-2.0");
        await page.GetByLabel("What changed (optional)").FillAsync("First card for review");
        await ShotAsync(page, "card-editor");

        await page.GetByRole(AriaRole.Button, new() { Name = "Save revision" }).ClickAsync();

        var revisions = page.GetByRole(AriaRole.List, new() { Name = "Revisions" });
        await Assertions.Expect(revisions).ToContainTextAsync("First card for review");
        await Assertions.Expect(revisions.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(1);
        var article = page.GetByRole(AriaRole.Article, new() { Name = "Model card" });
        await Assertions.Expect(article.GetByRole(AriaRole.Heading, new() { Name = "Support assistant" })).ToBeVisibleAsync();

        // A second revision, then its diff against the first.
        await page.GetByRole(AriaRole.Button, new() { Name = "Edit card" }).ClickAsync();
        await editor.FillAsync(Card.Replace("First-line answers", "First- and second-line answers", StringComparison.Ordinal));
        await page.GetByLabel("What changed (optional)").FillAsync("Widened the intended use");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save revision" }).ClickAsync();
        await Assertions.Expect(revisions.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(2);
        var diff = page.GetByRole(AriaRole.Table, new() { Name = "Changes from revision 1 to revision 2" });
        await Assertions.Expect(diff).ToContainTextAsync("First- and second-line answers");
        await ShotAsync(page, "card-tab");

        // Old revisions stay readable.
        await revisions.GetByRole(AriaRole.Button, new() { Name = "View revision 1" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Viewing revision 1 of 2");
        await Assertions.Expect(article).ToContainTextAsync("First-line answers in the help centre");
        await page.GetByRole(AriaRole.Button, new() { Name = "Back to the current card" }).ClickAsync();
        await Assertions.Expect(article).ToContainTextAsync("First- and second-line answers");

        // The card's model-index was recorded as an evaluation result.
        await page.GetByRole(AriaRole.Tab, new() { Name = "Evaluation" }).ClickAsync();
        var results = page.Locator("[aria-label='Evaluation results']");
        await Assertions.Expect(results).ToContainTextAsync("model-index");
        await Assertions.Expect(results).ToContainTextAsync("0.683");
        await page.GetByLabel("Metric", new() { Exact = true }).FillAsync("win rate");
        await page.GetByLabel("Value", new() { Exact = true }).FillAsync("0.47");
        await page.GetByLabel("Benchmark / data set").FillAsync("support-eval");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record result" }).ClickAsync();
        await Assertions.Expect(results.GetByRole(AriaRole.Row).Filter(new() { HasText = "win rate" })).ToContainTextAsync("manual");
        await ShotAsync(page, "evaluation-tab");

        await page.GetByRole(AriaRole.Button, new() { Name = "Dark theme" }).ClickAsync();
        await page.GetByRole(AriaRole.Tab, new() { Name = "Model card" }).ClickAsync();
        await Assertions.Expect(article).ToBeVisibleAsync();
        await ShotAsync(page, "card-tab-dark");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Viewer_reads_the_card_and_the_results_but_is_offered_no_editor()
    {
        var (ds, model) = await ModelAsync("e2e-viewer", 1);
        await browser.App.Get<ModelRegistry.Core.Cards.CardService>().SaveAsync(ds.Actor, model, 1, Card, "For review", Ct);
        var viewer = await browser.App.CreateUserAsync();
        var page = await browser.NewPageAsync(viewer);

        await page.GotoAsync($"/models/{model}/versions/1");
        await BrowserFixture.WaitForCircuitAsync(page);
        await page.GetByRole(AriaRole.Tab, new() { Name = "Model card" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Article, new() { Name = "Model card" })).ToContainTextAsync("Support assistant");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Edit card" })).ToHaveCountAsync(0);

        await page.GetByRole(AriaRole.Tab, new() { Name = "Evaluation" }).ClickAsync();
        await Assertions.Expect(page.Locator("[aria-label='Evaluation results']")).ToContainTextAsync("0.683");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Record result" })).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_card_longer_than_a_circuit_message_can_be_edited_and_saved_in_the_browser()
    {
        // Real cards run to tens of kilobytes: past the 32 KB a Blazor circuit accepts by default, which would drop the
        // connection on the first keystroke.
        var (ds, model) = await ModelAsync("e2e-long", 1);
        var longCard = Card + string.Concat(Enumerable.Range(1, 800).Select(i => $"\n- Finding {i}: the model answered \"as expected\" on case {i}."));
        Assert.True(longCard.Length > 40_000);
        var page = await browser.NewPageAsync(ds);
        await page.GotoAsync($"/models/{model}/versions/1");
        await BrowserFixture.WaitForCircuitAsync(page);
        await page.GetByRole(AriaRole.Tab, new() { Name = "Model card" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Write from scratch" }).ClickAsync();

        // Generous timeouts: a long text is slow to fill on a busy two-core machine, not wrong.
        await page.GetByLabel("Markdown").FillAsync(longCard, new() { Timeout = 60_000 });
        await Assertions.Expect(page.GetByRole(AriaRole.Region, new() { Name = "Preview" })).ToContainTextAsync("Finding 800", new() { Timeout = 60_000 });
        await page.GetByRole(AriaRole.Button, new() { Name = "Save revision" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.List, new() { Name = "Revisions" }).GetByRole(AriaRole.Listitem))
            .ToHaveCountAsync(1, new() { Timeout = 30_000 });
        var saved = await browser.App.Get<ModelRegistry.Core.Cards.CardService>().GetAsync(model, 1, ct: Ct);
        Assert.Equal(longCard, saved!.Markdown);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Model_page_charts_each_metric_with_one_point_per_version_and_marks_production()
    {
        var (ds, model) = await ModelAsync("e2e-chart", 4);
        var evaluations = browser.App.Get<EvaluationService>();
        double[] accuracy = [0.612, 0.655, 0.648, 0.701];
        double[] winRate = [0.41, 0.47, 0.52, 0.55];
        for (var v = 1; v <= 4; v++)
        {
            await evaluations.RecordAsync(ds.Actor, model, v,
                [new MetricInput("accuracy", accuracy[v - 1], "MMLU", "test"), new MetricInput("win rate", winRate[v - 1], "support-eval")],
                EvaluationSource.Api, Ct);
        }

        await browser.App.ExecuteSqlAsync($"UPDATE Versions SET Stage = 'Production' WHERE Number = 3 AND ModelId = (SELECT Id FROM Models WHERE Name = '{model}')");
        var page = await browser.NewPageAsync(ds);

        await page.GotoAsync($"/models/{model}?tab=versions");
        await BrowserFixture.WaitForCircuitAsync(page);

        var chart = page.Locator(".apex-chart[data-rendered=true]");
        await Assertions.Expect(chart.Locator("svg.apexcharts-svg")).ToBeVisibleAsync();
        // One line per metric, each with a marker per version (ApexCharts also keeps a hidden hover marker per line).
        var series = chart.Locator("g.apexcharts-series:has(.apexcharts-series-markers-wrap)");
        await Assertions.Expect(series).ToHaveCountAsync(2);
        for (var s = 0; s < 2; s++)
        {
            Assert.Equal(4, await series.Nth(s).Locator(".apexcharts-series-markers .apexcharts-marker").CountAsync());
        }

        await Assertions.Expect(chart).ToContainTextAsync("Production · v3");
        await Assertions.Expect(chart).ToContainTextAsync("accuracy · MMLU (test)");
        await ShotAsync(page, "model-chart");

        // A point opens its version (before any re-render of the chart, which would replace its markers).
        // ApexCharts attaches its point handlers a moment after drawing (and may redraw): click until the version
        // opens, checking the address rather than waiting on a navigation event (bounded: 5 tries).
        var target = $"/models/{model}/versions/2";
        var opened = false;
        for (var attempt = 0; attempt < 5 && !opened; attempt++)
        {
            try
            {
                await series.Nth(0).Locator(".apexcharts-series-markers .apexcharts-marker").Nth(1)
                    .ClickAsync(new() { Force = true, Timeout = 3_000 });
            }
            catch (TimeoutException)
            {
                // The markers were being redrawn, or the page already moved on.
            }

            for (var wait = 0; wait < 30 && !opened; wait++)
            {
                opened = new Uri(page.Url).AbsolutePath.EndsWith(target, StringComparison.Ordinal);
                if (!opened)
                {
                    await page.WaitForTimeoutAsync(100);
                }
            }
        }

        Assert.True(opened, "clicking a point of the chart should open that version");

        await page.GotoAsync($"/models/{model}?tab=versions");
        await BrowserFixture.WaitForCircuitAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Dark theme" }).ClickAsync();
        await Assertions.Expect(page.Locator(".apex-chart[data-rendered=true] svg.apexcharts-svg")).ToBeVisibleAsync();
        await page.WaitForTimeoutAsync(300);
        await ShotAsync(page, "model-chart-dark");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Ticking_versions_opens_the_comparison_with_deltas_against_the_first()
    {
        var (ds, model) = await ModelAsync("e2e-compare", 3);
        var evaluations = browser.App.Get<EvaluationService>();
        await evaluations.RecordAsync(ds.Actor, model, 1, [new MetricInput("accuracy", 0.70, "MMLU"), new MetricInput("perplexity", 6.0)], EvaluationSource.Api, Ct);
        await evaluations.RecordAsync(ds.Actor, model, 3, [new MetricInput("accuracy", 0.75, "MMLU"), new MetricInput("perplexity", 6.4)], EvaluationSource.Api, Ct);
        var cards = browser.App.Get<ModelRegistry.Core.Cards.CardService>();
        await cards.SaveAsync(ds.Actor, model, 1, Card, null, Ct);
        await cards.SaveAsync(ds.Actor, model, 3, Card.Replace("0.683", "0.75", StringComparison.Ordinal) + "\nRetrained on 2026-03 tickets.\n", null, Ct);
        var page = await browser.NewPageAsync(ds);

        await page.GotoAsync($"/models/{model}?tab=versions");
        await BrowserFixture.WaitForCircuitAsync(page);
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "Compare v1" }).CheckAsync();
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "Compare v3" }).CheckAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Compare", Exact = true }).ClickAsync();

        await page.WaitForURLAsync($"**/models/{model}/compare?versions=1,3");
        var metrics = page.Locator("[aria-label='Metrics compared']");
        // "accuracy · MMLU" as posted; the card's model-index adds "accuracy · MMLU (test)" below it.
        var accuracyRow = metrics.GetByRole(AriaRole.Row).Filter(new() { HasText = "accuracy" }).First;
        await Assertions.Expect(accuracyRow).ToContainTextAsync("▲ +0.05");
        await Assertions.Expect(accuracyRow.Locator(".delta-better")).ToBeVisibleAsync();
        var perplexityRow = metrics.GetByRole(AriaRole.Row).Filter(new() { HasText = "perplexity" });
        await Assertions.Expect(perplexityRow).ToContainTextAsync("▼ +0.4");
        await Assertions.Expect(perplexityRow.Locator(".delta-worse")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Table, new() { Name = "Changes from v1 to v3" })).ToContainTextAsync("Retrained on 2026-03 tickets.");
        await ShotAsync(page, "compare");

        await page.GetByRole(AriaRole.Button, new() { Name = "Dark theme" }).ClickAsync();
        await ShotAsync(page, "compare-dark");
        await page.Context.CloseAsync();
    }
}
