using Microsoft.Playwright;
using ModelRegistry.Core.Evaluation;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

/// <summary>
/// Metric names, data sets, splits and units are free text anyone with DataScientist may record; the chart library
/// renders legend and tooltip text as HTML. An Auditor opening the model must see that text, not run it.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ChartInjectionTests(BrowserFixture browser)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string ImgName = "<img src=x onerror=\"window.__pwned=1\">";
    private const string MetaDataset = "<meta http-equiv=\"refresh\" content=\"0;url=/phished-by-chart\">";
    private const string ScriptSplit = "\"><script>window.__pwned=1</script>";
    private const string AmpName = "Tom & Jerry's \"F1\" &amp; <b>more</b>";
    private const string ImgUnit = "<img src=x onerror=alert(1)>";

    /// <summary>Any element the probe charts find in the page with this attribute was injected.</summary>
    private const string Mark = "<i data-injected=1>x</i>";

    [Fact]
    public async Task Hostile_metric_names_datasets_splits_and_units_reach_an_Auditor_as_text_in_the_chart_and_the_evaluation_tab()
    {
        var ds = await browser.App.CreateUserAsync(Roles.DataScientist);
        var model = $"e2e-xss-{Guid.NewGuid():N}"[..16];
        await browser.App.RegisterModelAsync(ds, model);
        var evaluations = browser.App.Get<EvaluationService>();
        for (var v = 1; v <= 2; v++)
        {
            await browser.App.CreateVersionAsync(ds, model);
            await evaluations.RecordAsync(ds.Actor, model, v,
                [
                    new MetricInput(ImgName, 0.60 + v / 20.0, "MMLU"),
                    new MetricInput("win rate", 0.40 + v / 20.0, MetaDataset, ScriptSplit),
                    new MetricInput(AmpName, 100 + v * 10, Unit: ImgUnit),
                ],
                EvaluationSource.Api, Ct);
        }

        string[] legend =
        [
            $"{ImgName} · MMLU",
            AmpName,
            $"win rate · {MetaDataset} ({ScriptSplit})",
        ];
        var auditor = await browser.App.CreateUserAsync(Roles.Auditor);
        var page = await browser.NewPageAsync(auditor);
        var dialogs = new List<string>();
        page.Dialog += async (_, dialog) =>
        {
            dialogs.Add($"{dialog.Type}: {dialog.Message}");
            await dialog.DismissAsync();
        };
        var blocked = new List<string>();
        page.Console += (_, message) =>
        {
            // An injected inline handler is stopped by the CSP, which says so here: a second witness of injection.
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
            {
                blocked.Add(message.Text);
            }
        };

        var modelUrl = $"{browser.BaseUrl}/models/{model}?tab=versions";
        await page.GotoAsync(modelUrl);
        await BrowserFixture.WaitForCircuitAsync(page);
        var chart = page.Locator(".apex-chart[data-rendered=true]");
        await Assertions.Expect(chart.Locator("svg.apexcharts-svg")).ToBeVisibleAsync();
        await AssertNothingInjectedAsync(page, modelUrl, dialogs, blocked, "model page");

        // The legend shows each label as the text that was recorded.
        var legendTexts = await chart.Locator(".apexcharts-legend-text").AllTextContentsAsync();
        Assert.Equal(legend.Order(StringComparer.Ordinal), legendTexts.Order(StringComparer.Ordinal));
        // Axis titles are SVG text: the unit appears as written, not entity-encoded. (The two 0–1 scores, one of them
        // named ImgName, share the axis titled "Score (0–1)" since each metric family has one axis.)
        var axisTitles = await chart.Locator(".apexcharts-yaxis-title-text").AllTextContentsAsync();
        Assert.Contains("Score (0–1)", axisTitles);
        Assert.Contains(ImgUnit, axisTitles);

        // The tooltip of a point names each series and its value with the unit, as text.
        var marker = chart.Locator("g.apexcharts-series:has(.apexcharts-series-markers-wrap) .apexcharts-series-markers .apexcharts-marker").First;
        var box = await marker.BoundingBoxAsync() ?? throw new InvalidOperationException("no marker on the chart");
        await page.Mouse.MoveAsync(box.X + box.Width / 2 + 1, box.Y + box.Height / 2);
        await page.Mouse.MoveAsync(box.X + box.Width / 2, box.Y + box.Height / 2);
        var tooltip = chart.Locator(".apexcharts-tooltip.apexcharts-active");
        await Assertions.Expect(tooltip).ToBeVisibleAsync();
        var tooltipLabels = await tooltip.Locator(".apexcharts-tooltip-text-y-label").AllTextContentsAsync();
        Assert.Equal(legend.Select(l => l + ": ").Order(StringComparer.Ordinal), tooltipLabels.Order(StringComparer.Ordinal));
        var tooltipValues = await tooltip.Locator(".apexcharts-tooltip-text-y-value").AllTextContentsAsync();
        Assert.Contains(tooltipValues, v => v.EndsWith($" {ImgUnit}", StringComparison.Ordinal));
        Assert.Equal("v1", await tooltip.Locator(".apexcharts-tooltip-title").TextContentAsync());
        // The chart alone (a full-page picture would move the mouse off the point and close the tooltip).
        await page.Locator(".metrics-chart").ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "chart-hostile-names-tooltip.png") });
        await AssertNothingInjectedAsync(page, modelUrl, dialogs, blocked, "model page with the tooltip open");

        // The version's Evaluation tab lists the same results as text.
        var versionUrl = $"{browser.BaseUrl}/models/{model}/versions/2?tab=evaluation";
        await page.GotoAsync(versionUrl);
        await BrowserFixture.WaitForCircuitAsync(page);
        // MudTable puts its label on the wrapper around the <table>.
        var table = page.Locator("[aria-label='Evaluation results']");
        await Assertions.Expect(table).ToBeVisibleAsync();
        foreach (var text in new[] { ImgName, MetaDataset, ScriptSplit, AmpName, $"120 {ImgUnit}" })
        {
            Assert.Equal(1, await table.GetByText(text, new() { Exact = true }).CountAsync());
        }

        await BrowserFixture.ScreenshotAsync(page, "chart-hostile-names-evaluation-tab");
        await AssertNothingInjectedAsync(page, versionUrl, dialogs, blocked, "Evaluation tab");
        await page.Context.CloseAsync();
    }

    /// <summary>Opens a page of the app (its CSP and scripts) and draws <paramref name="optionsJson"/> into a new box with our interop.</summary>
    private async Task<IPage> ProbeAsync(string optionsJson)
    {
        var page = await browser.NewPageAsync();
        await page.GotoAsync("/Account/Login");
        await page.EvaluateAsync(
            """
            async (json) => {
              const options = JSON.parse(json);
              const { render } = await import("/js/apex-chart.js");
              const box = document.createElement("div");
              box.id = "probe";
              // Above the page's own layout, so nothing of the page covers the chart.
              box.style.cssText = "position: fixed; top: 120px; left: 280px; width: 600px; z-index: 10000; background: #fff";
              document.body.prepend(box);
              try {
                await render(box, options);
              } catch (e) {
                box.dataset.error = e.message;
              }
            }
            """, optionsJson);
        return page;
    }

    [Fact]
    public async Task Options_whose_strings_the_library_would_write_as_html_reach_the_page_as_text()
    {
        // What a future chart might send from C#: every option of ApexCharts 4.7.0 whose string ends up in innerHTML.
        var page = await ProbeAsync($$"""
            {
              "chart": { "type": "bar", "height": 300, "animations": { "enabled": false },
                         "toolbar": { "show": true, "tools": { "download": "{{Mark}}" } },
                         "locales": [{ "name": "xx", "options": { "toolbar": { "exportToSVG": "{{Mark}}", "exportToPNG": "PNG", "exportToCSV": "CSV" } } }],
                         "defaultLocale": "xx" },
              "series": [{ "name": "{{Mark}}", "data": [
                { "x": "{{Mark}}", "y": 3, "goals": [{ "name": "{{Mark}}", "value": 2, "strokeColor": "red\"><i data-injected=1></i>" }] },
                { "x": "b", "y": 4 } ] }],
              "annotations": { "points": [{ "x": "b", "y": 4, "customSVG": { "SVG": "{{Mark}}" } }] },
              "legend": { "show": true, "showForSingleSeries": true }
            }
            """);
        var box = page.Locator("#probe");
        await Assertions.Expect(box.Locator("svg.apexcharts-svg")).ToBeVisibleAsync();
        Assert.Null(await box.GetAttributeAsync("data-error"));
        var bar = box.Locator(".apexcharts-bar-area").First;
        await bar.HoverAsync(new() { Force = true });
        await Assertions.Expect(box.Locator(".apexcharts-tooltip.apexcharts-active")).ToBeVisibleAsync();
        await box.Locator(".apexcharts-menu-icon").ClickAsync();

        Assert.Equal(0, await page.Locator("[data-injected]").CountAsync());
        Assert.Equal([Mark], await box.Locator(".apexcharts-legend-text").AllTextContentsAsync());
        Assert.Equal(Mark, await box.Locator(".apexcharts-tooltip-title").TextContentAsync());
        Assert.Contains(Mark, await box.Locator(".apexcharts-tooltip-text-goals-label").TextContentAsync(), StringComparison.Ordinal);
        await BrowserFixture.ScreenshotAsync(page, "chart-probe-markup-options");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_chart_type_whose_tooltip_the_library_builds_from_raw_names_is_not_drawn()
    {
        var page = await ProbeAsync($$"""
            { "chart": { "type": "rangeBar", "height": 300 },
              "series": [{ "name": "{{Mark}}", "data": [{ "x": "{{Mark}}", "y": [1, 3] }] }] }
            """);

        await Assertions.Expect(page.Locator("#probe")).ToHaveAttributeAsync("data-error", new System.Text.RegularExpressions.Regex("rangeBar"));
        Assert.Equal(0, await page.Locator("#probe svg, [data-injected]").CountAsync());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_chart_point_opens_an_address_on_this_site_and_nothing_else()
    {
        // Four points: ApexCharts ignores clicks on a point at the very edge of the plot.
        var page = await ProbeAsync("""
            { "chart": { "type": "line", "height": 300, "animations": { "enabled": false } },
              "series": [{ "name": "accuracy", "data": [0.5, 0.6, 0.55, 0.7] }],
              "xaxis": { "categories": ["v1", "v2", "v3", "v4"] },
              "markers": { "size": 6 },
              "registry": { "links": ["/v1", "//phish.example/login", "/Account/Login?from=chart", "/v4"] } }
            """);
        var start = page.Url;
        var markers = page.Locator("#probe .apexcharts-series-markers .apexcharts-marker");
        await Assertions.Expect(markers).ToHaveCountAsync(4);

        // ApexCharts attaches its point handlers a moment after drawing: click a few times.
        for (var attempt = 0; attempt < 3 && page.Url == start; attempt++)
        {
            try
            {
                await markers.Nth(1).ClickAsync(new() { Force = true, Timeout = 3_000 });
            }
            catch (TimeoutException)
            {
                // The page is going away: the address below says where to.
            }

            await page.WaitForTimeoutAsync(300);
        }

        Assert.Equal(start, page.Url);
        for (var attempt = 0; attempt < 5 && !page.Url.Contains("from=chart", StringComparison.Ordinal); attempt++)
        {
            await markers.Nth(2).ClickAsync(new() { Force = true, Timeout = 3_000 });
            await page.WaitForTimeoutAsync(300);
        }

        Assert.Equal("/Account/Login?from=chart", new Uri(page.Url).PathAndQuery);
        await page.Context.CloseAsync();
    }

    private static async Task AssertNothingInjectedAsync(IPage page, string url, List<string> dialogs, List<string> blocked, string where)
    {
        // A meta refresh fires after its delay; give it time to, then check nothing moved.
        await page.WaitForTimeoutAsync(1_500);
        Assert.True(page.Url == url, $"{where}: the page navigated to {page.Url}");
        Assert.Equal(0, await page.Locator("img[src='x']").CountAsync());
        Assert.Equal(0, await page.Locator("meta[http-equiv]").CountAsync());
        Assert.Equal(0, await page.Locator(".apex-chart script, .apex-chart b, .mud-table script").CountAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => window.__pwned === undefined"), $"{where}: window.__pwned was set");
        Assert.Empty(dialogs);
        Assert.Empty(blocked);
    }
}
