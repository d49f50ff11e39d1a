using System.Text;
using System.Text.Json.Nodes;
using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Signing;
using ModelRegistry.Tests.Infrastructure;
using ModelRegistry.Web.Components.Pages.Lifecycle.Components;
using ModelRegistry.Web.Security;
using static ModelRegistry.Tests.Infrastructure.LifecycleAppExtensions;

namespace ModelRegistry.Tests.Components;

/// <summary>The Lifecycle tab's attestations against a real registry: the list, Verify, the download, hostile names.</summary>
public sealed class AttestationsPanelTests(RegistryApp app) : IClassFixture<RegistryApp>, IAsyncDisposable
{
    private readonly BunitContext _ctx = DashboardTestContext.Create();

    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    private IRenderedComponent<LifecycleTab> Render(string userId, string model, int number, params string[] roles)
    {
        _ctx.Services.AddSingleton(app.Get<LifecycleService>());
        _ctx.Services.AddSingleton(app.Get<LifecycleQueries>());
        _ctx.Services.AddSingleton(app.Get<AttestationService>());
        _ctx.Services.AddSingleton(app.Get<ModelRegistry.Core.Versions.VersionService>());
        _ctx.Services.AddSingleton(TimeProvider.System);
        _ctx.Services.AddScoped<CurrentActor>();
        _ctx.SignInAs(userId, roles);
        var (tab, _) = _ctx.RenderWithPopovers<LifecycleTab>(p => p.Add(t => t.ModelName, model).Add(t => t.Number, number));
        tab.WaitForAssertion(() => Assert.Empty(tab.FindAll("[aria-label=Loading]")));
        return tab;
    }

    private static AngleSharp.Dom.IElement Panel(IRenderedComponent<LifecycleTab> tab) => tab.Find("[aria-label=Attestations]");

    private async Task<(TestUser Ds, TestUser Reviewer, string Model)> ApprovedAsync(string prefix, string? reviewerName = null)
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var reviewer = await app.CreateUserAsync(Roles.Reviewer);
        if (reviewerName is not null)
        {
            reviewer = reviewer with { Actor = reviewer.Actor with { DisplayName = reviewerName } };
        }

        var model = Unique(prefix);
        await app.ModelWithVersionsAsync(ds, model, 1);
        await app.PromoteAsync(ds, reviewer, model, 1, Stage.Staging);
        return (ds, reviewer, model);
    }

    [Fact]
    public async Task The_list_shows_stage_approver_and_key_and_verify_says_valid()
    {
        var (_, reviewer, model) = await ApprovedAsync("panel-valid");
        var viewer = await app.CreateUserAsync();
        var keyId = app.Get<SigningKeys>().CurrentKeyId;

        var tab = Render(viewer.Id, model, 1);

        var row = Assert.Single(Panel(tab).QuerySelectorAll("tbody tr"));
        Assert.Contains("Staging", row.QuerySelector("[data-label=Stage]")!.TextContent);
        Assert.Contains(reviewer.Actor.DisplayName, row.QuerySelector("[data-label='Approved by']")!.TextContent);
        Assert.Equal(keyId[..12], row.QuerySelector(".attestation-keyid")!.TextContent.Trim());
        Assert.DoesNotContain("Valid", row.TextContent);

        tab.Find($"button[aria-label='Verify attestation {Assert.Single(await app.Get<AttestationService>().ListAsync(model, 1, Ct)).Id}']").Click();

        tab.WaitForAssertion(() => Assert.Contains("Valid", Panel(tab).QuerySelector("[role=status]")!.TextContent));
        Assert.Contains($"Signed by key {keyId[..12]}", Panel(tab).QuerySelector("[role=status]")!.TextContent);
    }

    [Fact]
    public async Task Verify_rechecks_the_stored_envelope_and_shows_why_a_changed_one_is_invalid()
    {
        var (_, _, model) = await ApprovedAsync("panel-tampered");
        var viewer = await app.CreateUserAsync();
        var tab = Render(viewer.Id, model, 1);

        // After the page loaded, someone with database access changes the signed statement.
        await using (var db = await app.DbAsync())
        {
            var row = await db.Attestations.SingleAsync(a => a.Version.Model.Name == model, Ct);
            var envelope = JsonNode.Parse(row.Envelope)!.AsObject();
            var statement = Encoding.UTF8.GetString(Convert.FromBase64String((string)envelope["payload"]!));
            envelope["payload"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(statement.Replace("\"to\":\"Staging\"", "\"to\":\"Production\"", StringComparison.Ordinal)));
            await db.Database.ExecuteSqlAsync($"UPDATE Attestations SET Envelope = {envelope.ToJsonString()} WHERE Id = {row.Id}", Ct);
        }

        Panel(tab).QuerySelector("button[aria-label^='Verify attestation']")!.Click();

        tab.WaitForAssertion(() => Assert.Contains("Invalid", Panel(tab).QuerySelector("[role=status]")!.TextContent));
        Assert.Contains("does not match the payload", Panel(tab).QuerySelector(".attestation-reason")!.TextContent);
    }

    [Fact]
    public async Task The_download_is_the_envelope_as_a_json_file()
    {
        var (_, _, model) = await ApprovedAsync("panel-download");
        var viewer = await app.CreateUserAsync();
        var attestation = Assert.Single(await app.Get<AttestationService>().ListAsync(model, 1, Ct));

        var tab = Render(viewer.Id, model, 1);

        var link = Panel(tab).QuerySelector($"a[aria-label='Download attestation {attestation.Id} (JSON)']")!;
        Assert.Equal($"attestation-{model}-v1-{attestation.Id}.json", link.GetAttribute("download"));
        const string prefix = "data:application/json;base64,";
        var href = link.GetAttribute("href")!;
        Assert.StartsWith(prefix, href);
        var downloaded = Dsse.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(href[prefix.Length..])));
        Assert.Equal(attestation.Envelope.Payload, downloaded!.Payload);
        Assert.True(app.Get<AttestationService>().Verify(downloaded).Valid);
    }

    [Fact]
    public async Task A_hostile_reviewer_name_is_shown_as_text()
    {
        const string hostile = "<img src=x onerror=alert(1)><b>rev</b>";
        var (_, _, model) = await ApprovedAsync("panel-hostile", hostile);
        var viewer = await app.CreateUserAsync();

        var tab = Render(viewer.Id, model, 1);

        var approvedBy = Panel(tab).QuerySelector("[data-label='Approved by']")!;
        Assert.Contains(hostile, approvedBy.TextContent);
        Assert.Empty(Panel(tab).QuerySelectorAll("img, b"));
    }

    [Fact]
    public async Task A_version_never_approved_says_so_and_approving_from_the_tab_lists_the_new_attestation()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var reviewer = await app.CreateUserAsync(Roles.Reviewer);
        var model = Unique("panel-approve");
        await app.ModelWithVersionsAsync(ds, model, 1);
        await app.RequestAsync(ds, model, 1, Stage.Production, "Ready.");
        var tab = Render(reviewer.Id, model, 1, Roles.Reviewer);
        Assert.Contains("No attestations yet", Panel(tab).TextContent);

        tab.FindAll("button").Single(b => b.TextContent.Trim() == "Approve").Click();

        tab.WaitForAssertion(() => Assert.Single(Panel(tab).QuerySelectorAll("tbody tr")));
        Assert.Contains("Production", Panel(tab).QuerySelector("[data-label=Stage]")!.TextContent);
        Assert.Contains("someone@example.com", Panel(tab).QuerySelector("[data-label='Approved by']")!.TextContent);
    }

    public ValueTask DisposeAsync() => _ctx.DisposeAsync();
}
