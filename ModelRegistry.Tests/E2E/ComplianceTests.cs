using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Deployments;
using ModelRegistry.Core.Evaluation;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

/// <summary>What compliance staff do in the browser: read everything without a way to change it, walk the stage history,
/// download an evidence pack, and filter the log by link.</summary>
[Collection(BrowserCollection.Name)]
public sealed partial class ComplianceTests(BrowserFixture browser)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Words on a control that would change the registry. (Activity lines say "requested", "created" …: whole words only.)</summary>
    [GeneratedRegex(@"\b(create|new|edit|upload|approve|reject|request|delete|remove|register|record|save|cancel|revoke|grant|lock|unlock|comment|add|import|restore|redeliver)\b",
        RegexOptions.IgnoreCase)]
    private static partial Regex Mutating();

    /// <summary>
    /// A model with history: v1 went Staging → Production with a file, card, result and a deployment; v2 is in Staging with a
    /// pending request to Production (the state in which approve, reject and cancel controls would show).
    /// </summary>
    private async Task<(string Name, TestUser DataScientist, TestUser Reviewer)> ModelWithHistoryAsync(string prefix)
    {
        var app = browser.App;
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var reviewer = await app.CreateUserAsync(Roles.Reviewer);
        var name = LifecycleAppExtensions.Unique(prefix);
        await app.ModelWithVersionsAsync(ds, name, 2);
        await app.UploadAsync(ds, name, 1, "config.json", Encoding.UTF8.GetBytes("{\"architectures\":[\"LlamaForCausalLM\"]}"));
        await app.Get<CardService>().SaveAsync(ds.Actor, name, 1,
            "# Card\n\n## Intended use\nSupport.\n\n## Limitations\nEnglish only.\n\n<script>alert(1)</script>\n", "First", Ct);
        await app.Get<EvaluationService>().RecordAsync(ds.Actor, name, 1, [new MetricInput("accuracy", 0.71, "MMLU", "test")],
            EvaluationSource.Api, Ct);
        await app.PromoteAsync(ds, reviewer, name, 1, Stage.Staging);
        await app.PromoteAsync(ds, reviewer, name, 1, Stage.Production);
        await app.Get<DeploymentService>().RecordAsync(ds.Actor, name, 1, new DeploymentInput("prod-eu", DeploymentStatus.Deployed), Ct);
        await app.PromoteAsync(ds, reviewer, name, 2, Stage.Staging);
        await app.RequestAsync(ds, name, 2, Stage.Production, "Better on the hold-out set.");
        return (name, ds, reviewer);
    }

    /// <summary>Loads an address as an image does (what a card's <c>![x](url)</c> would make a reader's browser do).</summary>
    private const string EmbedAsImage =
        "url => new Promise(done => { const image = new Image(); image.onload = image.onerror = () => done(); image.src = url; })";

    /// <summary>
    /// Clicks a link that opens in a new tab and answers with an attachment (as the audit log's export links do) and
    /// returns the downloaded file: the download happens in the new tab, so listen there from the moment it opens.
    /// </summary>
    private static async Task<string> DownloadFromLinkAsync(IPage page, string linkName)
    {
        var downloaded = new TaskCompletionSource<IDownload>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnDownload(object? sender, IDownload download) => downloaded.TrySetResult(download);
        void OnPage(object? sender, IPage opened) => opened.Download += OnDownload;
        page.Download += OnDownload;
        page.Context.Page += OnPage;
        try
        {
            await page.GetByRole(AriaRole.Link, new() { Name = linkName }).ClickAsync();
            var download = await downloaded.Task.WaitAsync(TimeSpan.FromSeconds(15), Ct);
            Assert.Null(await download.FailureAsync());
            return (await download.PathAsync())!;
        }
        finally
        {
            page.Download -= OnDownload;
            page.Context.Page -= OnPage;
        }
    }

    /// <summary>Every visible control a user could act with: its kind (a, button, …), its name and, for links, its target.</summary>
    private static async Task<IReadOnlyList<Control>> ControlsAsync(IPage page) =>
        await page.EvaluateAsync<Control[]>("""
            () => Array.from(document.querySelectorAll('button, a[href], [role=button], [role=menuitem], input[type=file], textarea'))
                .filter(e => e.getClientRects().length > 0)
                .map(e => ({
                    kind: e.getAttribute('role') || e.tagName.toLowerCase(),
                    name: (e.getAttribute('aria-label') || e.innerText || e.getAttribute('title') || '').trim().replace(/\s+/g, ' '),
                    href: e.getAttribute('href') || '',
                }))
            """);

    /// <summary>A control on a page, as <see cref="ControlsAsync"/> finds it.</summary>
    public sealed class Control
    {
        public string Kind { get; set; } = "";
        public string Name { get; set; } = "";
        public string Href { get; set; } = "";
    }

    /// <summary>
    /// A button or menu item named for a change, a link to a form that makes one, or anything to type a change into.
    /// (Links are judged by where they go: their text is often a model's name, which may be any word.)
    /// </summary>
    private static bool Changes(Control c) => c.Kind switch
    {
        "input" or "textarea" => true,
        // Any element with a target is a link, whatever its role (the home page's recent models are list options).
        _ when c.Href.Length > 0 => Regex.IsMatch(c.Href, @"/(new|edit)(\?|/|$)") || c.Href.StartsWith("/admin", StringComparison.Ordinal),
        _ => Mutating().IsMatch(c.Name),
    };

    private static async Task AssertReadOnlyAsync(IPage page, string where, List<string> offending)
    {
        foreach (var control in await ControlsAsync(page))
        {
            if (Changes(control))
            {
                offending.Add($"{where}: {control.Kind} \"{control.Name}\" {control.Href}");
            }
        }
    }

    [Fact]
    public async Task Auditor_visits_every_page_and_tab_and_finds_no_control_that_changes_anything()
    {
        var (name, _, _) = await ModelWithHistoryAsync("ro-walk");
        var auditor = await browser.App.CreateUserAsync(Roles.Auditor);
        var page = await browser.NewPageAsync(auditor);
        var offending = new List<string>();

        async Task VisitAsync(string path, string ready)
        {
            await page.GotoAsync(path);
            await BrowserFixture.WaitForCircuitAsync(page);
            await Assertions.Expect(page.GetByText(ready).Filter(new() { Visible = true }).First).ToBeVisibleAsync();
            await AssertReadOnlyAsync(page, path, offending);
        }

        async Task TabAsync(string path, string tab, string ready)
        {
            await page.GetByRole(AriaRole.Tab, new() { Name = tab }).ClickAsync();
            await Assertions.Expect(page.GetByText(ready).Filter(new() { Visible = true }).First).ToBeVisibleAsync();
            await AssertReadOnlyAsync(page, $"{path} [{tab}]", offending);
        }

        await VisitAsync("/", "Model Registry");
        await VisitAsync($"/models?search={name}", name);
        var model = $"/models/{name}";
        await VisitAsync(model, "Versions");
        await TabAsync(model, "Versions", "Derived from");
        await TabAsync(model, "Stage history", "Which version was in a stage at a given moment?");
        foreach (var number in new[] { 1, 2 })
        {
            var version = $"/models/{name}/versions/{number}";
            await VisitAsync(version, "LLM metadata");
            // The walk sees the controls that are there (so an editing one would not slip past it).
            Assert.Contains(await ControlsAsync(page), c => c.Name.Contains("Download evidence pack", StringComparison.OrdinalIgnoreCase));
            await TabAsync(version, "Files", number == 1 ? "config.json" : "No files");
            await TabAsync(version, "Model card", number == 1 ? "Intended use" : "card");
            await TabAsync(version, "Evaluation", number == 1 ? "accuracy" : "No evaluation results");
            await TabAsync(version, "Lifecycle", number == 1 ? "Production" : "Better on the hold-out set.");
            await TabAsync(version, "Deployments", number == 1 ? "prod-eu" : "deploy");
            await TabAsync(version, "Activity", "created version");
            await BrowserFixture.ScreenshotAsync(page, $"auditor-version-{number}-activity");
        }

        await VisitAsync($"/models/{name}/compare?versions=1,2", "accuracy");
        await VisitAsync("/deployments", "prod-eu");
        await VisitAsync($"/audit?model={name}", "events");
        // The review queue is for Reviewers and Admins: an Auditor is told so, with nothing to act on.
        await VisitAsync("/approvals", "You don't have a role that allows this page");

        Assert.Empty(offending);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Stage_history_shows_who_held_each_stage_and_answers_which_version_was_in_production_then()
    {
        var (name, _, reviewer) = await ModelWithHistoryAsync("timeline");
        var viewer = await browser.App.CreateUserAsync();
        var page = await browser.NewPageAsync(viewer);

        await page.GotoAsync($"/models/{name}?tab=stages");
        await BrowserFixture.WaitForCircuitAsync(page);
        var rows = page.Locator(".stage-history tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(3); // v2 Staging, v1 Production, v1 Staging
        var newest = rows.Nth(0);
        await Assertions.Expect(newest).ToContainTextAsync("Staging");
        await Assertions.Expect(newest).ToContainTextAsync("v2");
        await Assertions.Expect(newest).ToContainTextAsync("now");
        await Assertions.Expect(rows.Nth(1)).ToContainTextAsync("Production");
        await Assertions.Expect(rows.Nth(1)).ToContainTextAsync(reviewer.Actor.DisplayName);
        await Assertions.Expect(rows.Nth(2)).ToContainTextAsync("Staging");

        // Left empty, "at" means now: v1 is in Production.
        await page.GetByRole(AriaRole.Button, new() { Name = "Find version" }).ClickAsync();
        var answer = page.GetByRole(AriaRole.Status);
        await Assertions.Expect(answer).ToContainTextAsync("version 1 was in Production");
        await BrowserFixture.ScreenshotAsync(page, "model-stage-history");

        // Before anything happened, nothing was in Production; a malformed time is explained, not thrown.
        await page.GetByLabel("At (UTC)").FillAsync("2020-01-01T00:00:00Z");
        await page.GetByRole(AriaRole.Button, new() { Name = "Find version" }).ClickAsync();
        await Assertions.Expect(answer).ToContainTextAsync("No version of");
        await page.GetByLabel("At (UTC)").FillAsync("last tuesday");
        await page.GetByRole(AriaRole.Button, new() { Name = "Find version" }).ClickAsync();
        await Assertions.Expect(answer).ToContainTextAsync("at");
        await Assertions.Expect(answer).Not.ToContainTextAsync("was in Production");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Viewer_downloads_the_evidence_pack_as_html_and_markdown_from_the_version_page()
    {
        var (name, _, _) = await ModelWithHistoryAsync("evidence");
        var viewer = await browser.App.CreateUserAsync();
        var page = await browser.NewPageAsync(viewer);
        await page.GotoAsync($"/models/{name}/versions/1");
        await BrowserFixture.WaitForCircuitAsync(page);

        await page.GetByRole(AriaRole.Button, new() { Name = "Download evidence pack" }).ClickAsync();
        var html = await page.RunAndWaitForDownloadAsync(() =>
            page.GetByRole(AriaRole.Menuitem, new() { Name = "HTML (printable)" }).ClickAsync());
        Assert.Matches($@"^evidence-{name}-v1-\d{{8}}-\d{{6}}\.html$", html.SuggestedFilename);
        var document = await File.ReadAllTextAsync((await html.PathAsync())!, Ct);

        await page.GetByRole(AriaRole.Button, new() { Name = "Download evidence pack" }).ClickAsync();
        var markdown = await page.RunAndWaitForDownloadAsync(() =>
            page.GetByRole(AriaRole.Menuitem, new() { Name = "Markdown" }).ClickAsync());
        Assert.EndsWith(".md", markdown.SuggestedFilename, StringComparison.Ordinal);

        // The pack, opened as a reader would: styled, no script ran, the file's hash and the chain head are there.
        var reader = await page.Context.NewPageAsync();
        await reader.SetContentAsync(document);
        await Assertions.Expect(reader.GetByRole(AriaRole.Heading, new() { Level = 1 }).First).ToContainTextAsync("Evidence pack");
        await Assertions.Expect(reader.Locator("#files")).ToContainTextAsync("config.json");
        await Assertions.Expect(reader.Locator("#chain-summary")).ToContainTextAsync("Intact");
        await Assertions.Expect(reader.Locator("#card")).ToContainTextAsync("<script>alert(1)</script>");
        Assert.Equal(0, await reader.Locator("script").CountAsync());
        await BrowserFixture.ScreenshotAsync(reader, "evidence-pack-html");

        // The same address as an image, as a card could embed it: Chromium marks the fetch as an image, the registry
        // refuses it, and nothing is recorded.
        var embedded = await page.RunAndWaitForResponseAsync(
            () => page.EvaluateAsync(EmbedAsImage, $"/api/v1/models/{name}/versions/1/evidence?format=html"),
            response => response.Url.Contains("/evidence", StringComparison.Ordinal));
        Assert.Equal(403, embedded.Status);

        // Both downloads are on the version's record, which the Activity tab shows to everyone.
        await page.GotoAsync($"/models/{name}/versions/1?tab=activity");
        await BrowserFixture.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByText("exported the evidence pack of")).ToHaveCountAsync(2);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Every_audit_filter_round_trips_through_the_address()
    {
        var (name, ds, _) = await ModelWithHistoryAsync("filters");
        var auditor = await browser.App.CreateUserAsync(Roles.Auditor);
        var page = await browser.NewPageAsync(auditor);
        var from = DateTimeOffset.UtcNow.AddHours(-1).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var to = DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var filters = new Dictionary<string, string>
        {
            ["actor"] = ds.Actor.DisplayName,
            ["action"] = "artifact.uploaded",
            ["entity"] = $"artifact:{name}/1/config.json",
            ["model"] = name,
            ["from"] = from,
            ["to"] = to,
            ["q"] = "config",
        };
        var query = string.Join('&', filters.Select(f => $"{f.Key}={Uri.EscapeDataString(f.Value)}"));

        await page.GotoAsync($"/audit?{query}");
        await BrowserFixture.WaitForCircuitAsync(page);

        await Assertions.Expect(page.GetByText("1 events")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Cell, new() { Name = "artifact.uploaded" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByLabel("Search")).ToHaveValueAsync("config");
        await Assertions.Expect(page.GetByLabel("Actor (name or id)")).ToHaveValueAsync(ds.Actor.DisplayName);
        await Assertions.Expect(page.GetByLabel("Entity (type or type:id)")).ToHaveValueAsync(filters["entity"]);
        await Assertions.Expect(page.GetByLabel("Model")).ToHaveValueAsync(name);
        await Assertions.Expect(page.GetByLabel("From (UTC)")).ToHaveValueAsync(from);
        await Assertions.Expect(page.GetByLabel("To (UTC)")).ToHaveValueAsync(to);
        await Assertions.Expect(page.Locator(".mud-input-control.mud-select").Filter(new() { HasText = "Action" })).ToContainTextAsync("artifact.uploaded");
        // The export links carry the same filters, and the browser downloads what they point at.
        var export = await page.GetByRole(AriaRole.Link, new() { Name = "Export CSV" }).GetAttributeAsync("href");
        foreach (var (key, value) in filters)
        {
            Assert.Contains($"{key}={Uri.EscapeDataString(value)}", export, StringComparison.Ordinal);
        }

        var csv = await File.ReadAllTextAsync(await DownloadFromLinkAsync(page, "Export CSV"), Ct);
        Assert.StartsWith("sequence,time,", csv, StringComparison.Ordinal);
        Assert.Contains("artifact.uploaded", csv, StringComparison.Ordinal);

        // Changing a filter in the page rewrites the address and keeps the others.
        await page.GetByLabel("Entity (type or type:id)").FillAsync($"version:{name}/1");
        await page.GetByLabel("Entity (type or type:id)").PressAsync("Enter");
        // The filter changes the address in place (no page load): poll the address rather than wait for a load.
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("entity=version"));
        var address = new Uri(page.Url);
        foreach (var key in new[] { "actor", "action", "model", "from", "to", "q" })
        {
            Assert.Contains($"{key}=", address.Query, StringComparison.Ordinal);
        }

        await Assertions.Expect(page.GetByText("No events match these filters")).ToBeVisibleAsync();
        await page.ReloadAsync();
        await BrowserFixture.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByLabel("Entity (type or type:id)")).ToHaveValueAsync($"version:{name}/1");

        // An entity alone: the version's own events.
        await page.GotoAsync($"/audit?entity={Uri.EscapeDataString($"version:{name}/2")}");
        await BrowserFixture.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByRole(AriaRole.Cell, new() { Name = "version.created" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Cell, new() { Name = "version.stage_changed" })).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "audit-entity-filter");
        await page.Context.CloseAsync();
    }
}
