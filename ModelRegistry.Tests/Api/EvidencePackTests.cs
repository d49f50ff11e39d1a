using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AngleSharp.Html.Parser;
using Markdig;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Compliance;
using ModelRegistry.Core.Deployments;
using ModelRegistry.Core.Evaluation;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>A version with everything an evidence pack reports: card, lineage, files, results, requests, a deployment.</summary>
public sealed class EvidencePackFixture : IAsyncLifetime
{
    public const string Model = "evidence-model";

    /// <summary>A card that tries every way to run script or dress up as markup; the pack must show it defused.</summary>
    public const string HostileCard = """
        ---
        license: apache-2.0
        ---
        # Support assistant

        ## Intended use
        Answering support tickets. <script>alert('card')</script>

        <img src=x onerror="alert('img')">

        [click me](javascript:alert('link')) and [docs](https://example.com/docs)

        ## Limitations
        | a | b |
        |---|---|
        | 1 | 2 |
        """;

    /// <summary>A reviewer's comment with a table-breaking pipe, a line break and markup.</summary>
    public const string PipeComment = "Checked | the <b>hold-out</b> set\nand [a link](https://evil.example)";

    public RegistryApp App { get; } = new();
    public TestUser DataScientist { get; private set; } = null!;
    public TestUser Reviewer { get; private set; } = null!;
    public TestUser Viewer { get; private set; } = null!;
    public string FileSha256 { get; private set; } = "";
    public long RequestId { get; private set; }

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        DataScientist = await App.CreateUserAsync(Roles.DataScientist);
        Reviewer = await App.CreateUserAsync(Roles.Reviewer);
        Viewer = await App.CreateUserAsync();
        await App.RegisterModelAsync(DataScientist, Model, "text-generation");
        await App.CreateVersionAsync(DataScientist, Model);
        await App.CreateVersionAsync(DataScientist, Model, new VersionInput(Source: "https://ci.example.com/runs/42",
            BaseModel: "meta-llama/Llama-3.1-8B-Instruct", ParentVersion: 1,
            Datasets: [new DatasetInfo("support-tickets", "2026-11", Split: "train", Sha256: new string('a', 64))]));
        var bytes = Encoding.UTF8.GetBytes("{\"architectures\":[\"LlamaForCausalLM\"]}");
        FileSha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        await App.UploadAsync(DataScientist, Model, 2, "config.json", bytes);
        await App.Get<CardService>().SaveAsync(DataScientist.Actor, Model, 2, HostileCard, "First card", ct);
        await App.Get<EvaluationService>().RecordAsync(DataScientist.Actor, Model, 2,
            [new MetricInput("accuracy", 0.683, "MMLU", "test")], EvaluationSource.Api, ct);
        var request = await App.RequestAsync(DataScientist, Model, 2, Stage.Staging, "Ready for | staging");
        RequestId = request.Id;
        await App.Lifecycle().CommentAsync(Reviewer.Actor, request.Id, PipeComment, ct);
        await App.Lifecycle().ApproveAsync(Reviewer.Actor, request.Id, "Approved after review.", ct: ct);
        await App.Get<DeploymentService>().RecordAsync(DataScientist.Actor, Model, 2,
            new DeploymentInput("staging-eu", DeploymentStatus.Deployed, "https://llm.example.com/staging"), ct);
        // Another version's activity must stay out of version 2's slice.
        await App.UploadAsync(DataScientist, Model, 1, "other.json", Encoding.UTF8.GetBytes("{}"));
    }

    public async ValueTask DisposeAsync() => await App.DisposeAsync();
}

public sealed class EvidencePackTests(EvidencePackFixture fixture) : IClassFixture<EvidencePackFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const string Url = $"/api/v1/models/{EvidencePackFixture.Model}/versions/2/evidence";

    [Fact]
    public async Task Html_pack_holds_card_lineage_hashes_results_requests_deployments_audit_slice_and_chain_head()
    {
        using var viewer = await fixture.App.ClientForAsync(fixture.Viewer);
        var before = await fixture.App.LastAuditSequenceAsync();

        using var response = await viewer.GetAsync(Url + "?format=html", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var disposition = response.Content.Headers.ContentDisposition;
        Assert.Equal("attachment", disposition?.DispositionType);
        Assert.Matches(@"^evidence-evidence-model-v2-\d{8}-\d{6}\.html$", disposition?.FileNameStar ?? disposition?.FileName?.Trim('"'));

        var doc = await new HtmlParser().ParseDocumentAsync(await response.Content.ReadAsStringAsync(Ct), Ct);
        var text = doc.Body!.TextContent;
        // The export is itself on the record, and the pack names that event.
        var events = await fixture.App.AuditEventsAsync(before);
        var exported = Assert.Single(events);
        Assert.Equal(AuditActions.EvidenceExported, exported.Action);
        Assert.Equal($"{EvidencePackFixture.Model}/2", exported.EntityId);
        Assert.Equal(fixture.Viewer.Actor.DisplayName, exported.ActorName);
        Assert.Contains($"audit event {exported.Sequence}", doc.QuerySelector("#chain-summary")!.TextContent);

        // Chain head = the newest event at export time, verified intact.
        var head = doc.QuerySelector("#chain-summary .head-hash")!.TextContent;
        Assert.Equal(exported.Hash, head);
        Assert.Contains("Intact", doc.QuerySelector("#chain-summary")!.TextContent);

        // Card rendered, sanitised: no script, no handlers, no javascript: links, but the prose and safe link survive.
        var card = doc.QuerySelector("#card .card")!;
        Assert.Contains("Answering support tickets.", card.TextContent);
        Assert.Empty(doc.QuerySelectorAll("script"));
        Assert.DoesNotContain(doc.All, e => e.Attributes.Any(a => a.Name.StartsWith("on", StringComparison.OrdinalIgnoreCase)));
        Assert.DoesNotContain(doc.QuerySelectorAll("[href],[src]"),
            e => (e.GetAttribute("href") ?? e.GetAttribute("src"))!.Contains("javascript", StringComparison.OrdinalIgnoreCase));
        Assert.NotNull(card.QuerySelector("a[href='https://example.com/docs']"));
        Assert.NotNull(card.QuerySelector("table"));
        // The page's own policy forbids script and remote loads even if something slipped through.
        Assert.Contains("default-src 'none'", doc.QuerySelector("meta[http-equiv='Content-Security-Policy']")!.GetAttribute("content"));

        // Metadata and lineage, files with hashes, evaluation results.
        var metadata = doc.QuerySelector("#metadata")!.TextContent;
        Assert.Contains("meta-llama/Llama-3.1-8B-Instruct", metadata);
        Assert.Contains("version 1", metadata);
        Assert.Contains("support-tickets", metadata);
        Assert.Contains(fixture.FileSha256, doc.QuerySelector("#files")!.TextContent);
        Assert.Contains("config.json", doc.QuerySelector("#files")!.TextContent);
        Assert.Contains("0.683", doc.QuerySelector("#evaluation")!.TextContent);

        // The request with its justification, discussion (escaped, not markup) and decision.
        var request = doc.QuerySelector($"#request-{fixture.RequestId}")!;
        Assert.Contains("Ready for | staging", request.TextContent);
        Assert.Contains("Checked | the <b>hold-out</b> set", request.TextContent);
        Assert.Empty(request.QuerySelectorAll("b"));
        Assert.Contains("Approved after review.", request.TextContent);
        Assert.Contains(fixture.Reviewer.Actor.DisplayName, request.TextContent);
        Assert.Contains("staging-eu", doc.QuerySelector("#deployments")!.TextContent);

        // The audit slice: this version's events with their hashes, not version 1's.
        var slice = doc.QuerySelectorAll("#audit tbody tr").Select(r => r.TextContent).ToList();
        foreach (var action in new[] { AuditActions.VersionCreated, AuditActions.ArtifactUploaded, AuditActions.CardRevised,
                     AuditActions.EvaluationRecorded, AuditActions.TransitionRequested, AuditActions.TransitionCommented,
                     AuditActions.TransitionApproved, AuditActions.VersionStageChanged, AuditActions.DeploymentRecorded,
                     AuditActions.EvidenceExported })
        {
            Assert.Contains(slice, row => row.Contains(action, StringComparison.Ordinal));
        }

        Assert.DoesNotContain(slice, row => row.Contains("other.json", StringComparison.Ordinal));
        var all = await fixture.App.AuditEventsAsync();
        var uploaded = all.Single(e => e.Action == AuditActions.ArtifactUploaded && e.EntityId.EndsWith("/config.json", StringComparison.Ordinal));
        Assert.Contains(slice, row => row.Contains(uploaded.Hash, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Markdown_pack_escapes_every_table_cell_and_quotes_the_card_verbatim()
    {
        using var viewer = await fixture.App.ClientForAsync(fixture.Viewer);

        using var response = await viewer.GetAsync(Url + "?format=md", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/markdown", response.Content.Headers.ContentType?.MediaType);
        Assert.EndsWith(".md", response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var markdown = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains(fixture.FileSha256, markdown);
        Assert.Contains(EvidencePackFixture.HostileCard.Trim(), markdown.Replace("\r\n", "\n", StringComparison.Ordinal));

        // Render it as a markdown viewer would (raw HTML allowed, as GitHub-style viewers do): every table keeps its
        // columns, the hostile comment stays text, and the card stays a code block.
        var html = Markdown.ToHtml(markdown, new MarkdownPipelineBuilder().UseAdvancedExtensions().Build());
        var doc = await new HtmlParser().ParseDocumentAsync(html, Ct);
        foreach (var table in doc.QuerySelectorAll("table"))
        {
            var columns = table.QuerySelectorAll("thead th").Length;
            Assert.All(table.QuerySelectorAll("tbody tr"), row => Assert.Equal(columns, row.QuerySelectorAll("td").Length));
        }

        var commentCell = doc.QuerySelectorAll("td").Single(td => td.TextContent.StartsWith("Checked |", StringComparison.Ordinal));
        Assert.Equal("Checked | the <b>hold-out</b> setand [a link](https://evil.example)", commentCell.TextContent);
        Assert.Empty(commentCell.QuerySelectorAll("b"));
        // No disguised link: at most a bare address made clickable, its text the address itself.
        Assert.All(commentCell.QuerySelectorAll("a"), a => Assert.Equal(a.GetAttribute("href"), a.TextContent));
        Assert.Contains(doc.QuerySelectorAll("td"), td => td.TextContent == "Ready for | staging");
        Assert.Empty(doc.QuerySelectorAll("script"));
        // The one image is the registry's own lineage.svg, inside the pack as a data URI, never one a name or comment made.
        var lineage = Assert.Single(doc.QuerySelectorAll("img"));
        Assert.StartsWith("lineage.svg", lineage.GetAttribute("alt"), StringComparison.Ordinal);
        var src = lineage.GetAttribute("src")!;
        Assert.StartsWith("data:image/svg+xml;base64,", src, StringComparison.Ordinal);
        var svg = System.Xml.Linq.XDocument.Parse(System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(src["data:image/svg+xml;base64,".Length..])));
        Assert.Equal("svg", svg.Root!.Name.LocalName);
        Assert.Contains(doc.QuerySelectorAll("pre code"), c => c.TextContent.Contains("<script>alert('card')</script>", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Both_packs_carry_the_signed_attestation_and_the_key_it_verifies_with()
    {
        using var viewer = await fixture.App.ClientForAsync(fixture.Viewer);
        var attestation = Assert.Single(await fixture.App.Get<ModelRegistry.Core.Signing.AttestationService>()
            .ListAsync(EvidencePackFixture.Model, 2, Ct));
        var keys = fixture.App.Get<ModelRegistry.Core.Signing.SigningKeys>();

        var html = await viewer.GetStringAsync(Url + "?format=html", Ct);
        var section = (await new HtmlParser().ParseDocumentAsync(html, Ct)).QuerySelector("#attestations")!;
        Assert.Contains($"#{fixture.RequestId}", section.QuerySelector("table")!.TextContent);
        Assert.Contains(attestation.KeyId, section.QuerySelector("table")!.TextContent);
        Assert.Contains(fixture.Reviewer.Actor.DisplayName, section.QuerySelector("table")!.TextContent);
        // The envelope as it can be verified: parse it back from the page and check its signature with the key beside it.
        var fromPage = ModelRegistry.Core.Signing.Dsse.Parse(section.QuerySelector("pre.envelope")!.TextContent);
        Assert.Equal(attestation.Envelope.Payload, fromPage!.Payload);
        var pem = section.QuerySelector("pre.public-key")!.TextContent;
        Assert.Equal(keys.CurrentPublicKeyPem.Trim(), pem.Trim());
        using (var key = System.Security.Cryptography.ECDsa.Create())
        {
            key.ImportFromPem(pem);
            Assert.True(key.VerifyData(ModelRegistry.Core.Signing.Dsse.Pae(fromPage.PayloadType, Convert.FromBase64String(fromPage.Payload)),
                Convert.FromBase64String(fromPage.Signatures[0].Sig), System.Security.Cryptography.HashAlgorithmName.SHA256,
                System.Security.Cryptography.DSASignatureFormat.Rfc3279DerSequence));
        }

        var markdown = await viewer.GetStringAsync(Url + "?format=md", Ct);
        Assert.Contains("### Signed approval attestations", markdown);
        Assert.Contains(attestation.Envelope.Payload, markdown);
        Assert.Contains(keys.CurrentPublicKeyPem.Trim(), markdown.Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.Contains($"Key id `{keys.CurrentKeyId}` (current)", markdown);
    }

    [Theory]
    [InlineData("?format=pdf", HttpStatusCode.BadRequest)]
    [InlineData("?format=", HttpStatusCode.OK)]
    [InlineData("?format=MD", HttpStatusCode.OK)]
    public async Task Format_is_html_or_md_and_anything_else_is_a_400_problem(string query, HttpStatusCode expected)
    {
        using var viewer = await fixture.App.ClientForAsync(fixture.Viewer);
        var before = await fixture.App.LastAuditSequenceAsync();

        using var response = await viewer.GetAsync(Url + query, Ct);

        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.BadRequest)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Contains("html or md", problem.GetRawText(), StringComparison.Ordinal);
            Assert.Equal(before, await fixture.App.LastAuditSequenceAsync());
        }
    }

    [Fact]
    public async Task Unknown_version_or_model_is_404_and_records_nothing()
    {
        using var viewer = await fixture.App.ClientForAsync(fixture.Viewer);
        var before = await fixture.App.LastAuditSequenceAsync();

        using var noVersion = await viewer.GetAsync($"/api/v1/models/{EvidencePackFixture.Model}/versions/99/evidence", Ct);
        using var noModel = await viewer.GetAsync("/api/v1/models/no-such-model/versions/1/evidence?format=md", Ct);

        Assert.Equal(HttpStatusCode.NotFound, noVersion.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, noModel.StatusCode);
        Assert.Equal(before, await fixture.App.LastAuditSequenceAsync());
    }

    /// <summary>
    /// No role is refused a pack (every signed-in user is a Viewer, and the pack holds what Viewers see), so the refusals
    /// are for who is not, or no longer, signed in: a locked account's token stops working at once.
    /// </summary>
    [Fact]
    public async Task A_locked_account_gets_no_pack_and_nothing_is_recorded()
    {
        var user = await fixture.App.CreateUserAsync(Roles.Auditor);
        using var client = await fixture.App.ClientForAsync(user);
        await fixture.App.Get<UserAdminService>().LockAsync(Actor.CommandLine, user.Id, Ct);
        var before = await fixture.App.LastAuditSequenceAsync();

        using var response = await client.GetAsync(Url, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(before, await fixture.App.LastAuditSequenceAsync());
    }

    [Fact]
    public async Task Core_refuses_a_locked_account_with_403_before_recording_anything()
    {
        var user = await fixture.App.CreateUserAsync();
        await fixture.App.Get<UserAdminService>().LockAsync(Actor.CommandLine, user.Id, Ct);
        var before = await fixture.App.LastAuditSequenceAsync();

        await Assert.ThrowsAsync<ModelRegistry.Core.Common.ForbiddenException>(() => fixture.App.Get<EvidencePackService>()
            .ExportAsync(user.Actor, EvidencePackFixture.Model, 2, EvidenceFormat.Markdown, Ct));

        Assert.Equal(before, await fixture.App.LastAuditSequenceAsync());
    }

    [Fact]
    public async Task Pack_reports_a_broken_chain()
    {
        await using var app = new RegistryApp();
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, "tampered");
        await app.CreateVersionAsync(ds, "tampered");
        var created = (await app.AuditEventsAsync()).Single(e => e.Action == AuditActions.VersionCreated);
        await app.ExecuteSqlAsync("DROP TRIGGER AuditEvents_NoUpdate");
        await app.ExecuteSqlAsync($"UPDATE AuditEvents SET ActorName = 'someone else' WHERE Sequence = {created.Sequence}");
        using var client = await app.ClientForAsync(ds);

        var html = await client.GetStringAsync("/api/v1/models/tampered/versions/1/evidence", Ct);

        var summary = (await new HtmlParser().ParseDocumentAsync(html, Ct)).QuerySelector("#chain-summary")!.TextContent;
        Assert.Contains($"Broken at event {created.Sequence}", summary);
    }
}
