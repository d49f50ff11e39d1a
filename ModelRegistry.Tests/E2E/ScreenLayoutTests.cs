using Microsoft.Playwright;
using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Evaluation;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

/// <summary>The review screen, the metrics chart, the audit log and the version form as people meet them (issue 20).</summary>
[Collection(BrowserCollection.Name)]
public sealed class ScreenLayoutTests(BrowserFixture browser)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private RegistryApp App => browser.App;

    private const string Card = "---\nlicense: apache-2.0\n---\n# Support assistant\n\n## Intended use\nAnswers questions.\n\n## Limitations\nEnglish only.\n\n" +
        "## Training data\nTickets.\n\n## Evaluation\nSee metrics.\n";

    /// <summary>A model with v1 in Production and v2 (a different card, files and metrics) requested for Production.</summary>
    private async Task<(string Model, TestUser Ds)> ModelUnderReviewAsync(string prefix)
    {
        var ds = await App.CreateUserAsync(Roles.DataScientist);
        var name = LifecycleAppExtensions.Unique(prefix);
        await App.RegisterModelAsync(ds, name);
        var evaluations = App.Get<EvaluationService>();
        for (var v = 1; v <= 2; v++)
        {
            await App.CreateVersionAsync(ds, name, new VersionInput(Architecture: "llama", ContextLength: 8192 * v, ParentVersion: v > 1 ? v - 1 : null));
            await App.UploadAsync(ds, name, v, "config.json", ModelFiles.Config(contextLength: 8192 * v));
            await App.Get<CardService>().SaveAsync(ds.Actor, name, v, Card + (v == 2 ? "\nVersion 2 answers in French too.\n" : ""), null, Ct);
            await evaluations.RecordAsync(ds.Actor, name, v,
            [
                new MetricInput("accuracy", 0.60 + v / 20.0, "MMLU", "test"),
                new MetricInput("f1", 0.50 + v / 20.0, "support-eval", "validation"),
                new MetricInput("perplexity", 9 - v, "wikitext", "test"),
                new MetricInput("latency p95", 400 - 30 * v, Unit: "ms"),
            ], EvaluationSource.Api, Ct);
        }

        await App.PromoteAsync(ds, await App.CreateUserAsync(Roles.Reviewer), name, 1, Stage.Production);
        await App.RequestAsync(ds, name, 2, Stage.Production, "Better on every metric; answers in French too.");
        return (name, ds);
    }

    private async Task<IPage> PageAtAsync(TestUser user, int width, int height)
    {
        var page = await browser.NewPageAsync(user);
        await page.SetViewportSizeAsync(width, height);
        return page;
    }

    [Fact]
    public async Task The_review_screen_puts_the_decision_above_the_fold_at_1366x768_and_the_evidence_below()
    {
        var (model, _) = await ModelUnderReviewAsync("e2e-review");
        var page = await PageAtAsync(await App.CreateUserAsync(Roles.Reviewer), 1366, 768);
        await page.GotoAsync("/approvals");
        await BrowserFixture.WaitForCircuitAsync(page);

        await page.GetByRole(AriaRole.Button, new() { Name = $"Review {model} v2" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        var approve = dialog.GetByRole(AriaRole.Button, new() { Name = "Approve" });
        var reject = dialog.GetByRole(AriaRole.Button, new() { Name = "Reject" });
        await Assertions.Expect(approve).ToBeVisibleAsync();

        // In the viewport as the page opens: nothing scrolled, in the window or in the dialog.
        await Assertions.Expect(approve).ToBeInViewportAsync(new() { Ratio = 1 });
        await Assertions.Expect(reject).ToBeInViewportAsync(new() { Ratio = 1 });
        var box = await approve.BoundingBoxAsync();
        Assert.True(box is not null && box.Y + box.Height <= 768, $"Approve ends at {box?.Y + box?.Height}px, below the fold.");
        // The digest the approval carries is shown beside the decision.
        var digest = (await App.Get<VersionService>().GetAsync(model, 2, Ct)).Digest;
        var decision = dialog.GetByRole(AriaRole.Region, new() { Name = "Decision" });
        await Assertions.Expect(decision).ToContainTextAsync(VersionManifest.ShortDigest(digest));
        await Assertions.Expect(decision).ToContainTextAsync("replaces v1 in Production");
        await Assertions.Expect(decision.GetByRole(AriaRole.Link, new() { Name = "Compare with v1" }))
            .ToHaveAttributeAsync("href", $"/models/{model}/compare?versions=1,2");

        // Below: the difference from Production (card, metadata, files), the metrics against it, the gates.
        var evidence = dialog.GetByRole(AriaRole.Region, new() { Name = "Evidence" });
        await Assertions.Expect(evidence).ToContainTextAsync("Against Production (v1)");
        await Assertions.Expect(evidence).ToContainTextAsync("config.json");
        await Assertions.Expect(evidence).ToContainTextAsync("accuracy");
        await Assertions.Expect(evidence).ToContainTextAsync("Policy gates");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "review-dialog-1366x768.png") });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_chart_draws_each_metric_family_on_its_own_labelled_axis_and_the_legend_hides_a_line()
    {
        var (model, _) = await ModelUnderReviewAsync("e2e-chart");
        var page = await PageAtAsync(await App.CreateUserAsync(), 1366, 768);
        await page.GotoAsync($"/models/{model}?tab=versions");
        await BrowserFixture.WaitForCircuitAsync(page);
        var chart = page.Locator(".apex-chart[data-rendered=true]");
        await Assertions.Expect(chart.Locator("svg.apexcharts-svg")).ToBeVisibleAsync();

        // Three series drawn by default: accuracy and F1 share the 0–1 axis, latency (ms) has its own; every axis labelled, none hidden.
        var titles = await chart.Locator(".apexcharts-yaxis-title-text").AllTextContentsAsync();
        Assert.Equal(titles.Distinct().Count(), titles.Count);
        Assert.Contains("Score (0–1)", titles);
        Assert.DoesNotContain(await chart.Locator(".apexcharts-yaxis").EvaluateAllAsync<string[]>(
            "axes => axes.map(a => getComputedStyle(a).display)"), d => d == "none");

        // Hovering a version names it, each series with its data set and split, and the value.
        var marker = chart.Locator(".apexcharts-series-markers .apexcharts-marker").First;
        var mbox = await marker.BoundingBoxAsync() ?? throw new InvalidOperationException("no marker");
        await page.Mouse.MoveAsync(mbox.X + mbox.Width / 2 + 1, mbox.Y + mbox.Height / 2);
        await page.Mouse.MoveAsync(mbox.X + mbox.Width / 2, mbox.Y + mbox.Height / 2);
        var tooltip = chart.Locator(".apexcharts-tooltip.apexcharts-active");
        await Assertions.Expect(tooltip).ToBeVisibleAsync();
        await Assertions.Expect(tooltip.Locator(".apexcharts-tooltip-title")).ToHaveTextAsync("v1");
        var labels = await tooltip.Locator(".apexcharts-tooltip-text-y-label").AllTextContentsAsync();
        Assert.Contains("accuracy · MMLU (test): ", labels);
        await page.Locator(".metrics-chart").ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "metrics-chart-axes.png") });

        // A legend entry toggles its line.
        var entry = chart.Locator(".apexcharts-legend-series").Filter(new() { HasText = "accuracy · MMLU (test)" });
        await entry.ClickAsync();
        await Assertions.Expect(entry).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("apexcharts-inactive-legend"));
        await entry.ClickAsync();
        await Assertions.Expect(entry).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex("apexcharts-inactive-legend"));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_audit_log_reads_changes_as_before_and_after_with_the_raw_json_one_click_away_and_date_pickers()
    {
        var (model, ds) = await ModelUnderReviewAsync("e2e-auditview");
        await App.Get<VersionService>().UpdateAsync(ds.Actor, model, 2, new VersionInput(Description: "Now with French."), Ct);
        var page = await PageAtAsync(await App.CreateUserAsync(Roles.Auditor), 1366, 768);
        await page.GotoAsync($"/audit?model={model}&action=version.updated");
        await BrowserFixture.WaitForCircuitAsync(page);

        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "version.updated" }).First;
        var description = row.Locator(".audit-line").Filter(new() { HasText = "description" });
        await Assertions.Expect(description.Locator(".audit-before")).ToHaveTextAsync("—");
        await Assertions.Expect(description.Locator(".audit-after")).ToHaveTextAsync("Now with French.");
        var raw = row.Locator(".audit-raw pre");
        await Assertions.Expect(raw).Not.ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "audit-log-rows");
        var height = (await row.BoundingBoxAsync())!.Height;
        Assert.True(height < 160, $"A row is {height}px tall.");
        await row.GetByText("Raw JSON").ClickAsync();
        await Assertions.Expect(raw).ToBeVisibleAsync();
        await Assertions.Expect(raw).ToContainTextAsync("\"after\"");

        // Dates are picked from a calendar; the choice lands in the address like every filter.
        await page.GetByLabel("From date").ClickAsync();
        var today = DateTime.UtcNow;
        await page.Locator("button.mud-picker-calendar-day:not(.mud-hidden)")
            .Filter(new() { HasTextRegex = new System.Text.RegularExpressions.Regex($"^\\s*{today.Day}\\s*$") }).First.ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"from={today:yyyy-MM-dd}"));
        await Assertions.Expect(page.GetByLabel("From (UTC)")).ToHaveValueAsync(today.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        await BrowserFixture.ScreenshotAsync(page, "audit-log-readable");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_new_version_form_marks_prefilled_values_carried_over_and_the_files_correct_them()
    {
        var (model, ds) = await ModelUnderReviewAsync("e2e-prov");
        var page = await PageAtAsync(ds, 1366, 768);
        await page.GotoAsync($"/models/{model}/versions/new");
        await BrowserFixture.WaitForCircuitAsync(page);

        await Assertions.Expect(page.GetByTestId("origin-contextLength")).ToContainTextAsync("carried over from v2");
        await page.GetByLabel("Architecture").FillAsync("mistral");
        await page.GetByLabel("Architecture").BlurAsync();
        await Assertions.Expect(page.GetByTestId("origin-architecture")).ToContainTextAsync("entered");
        await BrowserFixture.ScreenshotAsync(page, "version-form-provenance");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create version" }).ClickAsync();
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex($"/models/{model}/versions/3$"));

        // The new version's own config.json replaces the carried-over context length; the entered architecture stands.
        await App.UploadAsync(ds, model, 3, "config.json", ModelFiles.Config(contextLength: 65536));
        await page.ReloadAsync();
        await BrowserFixture.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByTestId("origin-contextLength")).ToContainTextAsync("from config.json");
        await Assertions.Expect(page.GetByTestId("origin-architecture")).ToContainTextAsync("entered");
        await Assertions.Expect(page.GetByTestId("conflict-architecture")).ToContainTextAsync("LlamaForCausalLM");

        await page.GetByRole(AriaRole.Button, new() { Name = "Use the file's value for Architecture" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("origin-architecture")).ToContainTextAsync("from config.json");
        Assert.Equal("LlamaForCausalLM", (await App.Get<VersionService>().GetAsync(model, 3, Ct)).Architecture);
        await BrowserFixture.ScreenshotAsync(page, "version-provenance-overview");
        await page.Context.CloseAsync();
    }
}
