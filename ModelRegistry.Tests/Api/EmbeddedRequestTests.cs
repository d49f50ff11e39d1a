using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>
/// The evidence pack (which records evidence.exported) and the audit export (which streams the whole log) cannot be
/// fetched by a page's markup with the reader's cookie: a browser marks such a request with Sec-Fetch-Dest: image (or
/// another subresource) and Sec-Fetch-Mode: no-cors, and the registry refuses it before anything is recorded. The
/// dashboard's own links (a navigation or a download) and token callers go through.
/// </summary>
public sealed class EmbeddedRequestTests(EvidencePackFixture fixture) : IClassFixture<EvidencePackFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Evidence = $"/api/v1/models/{EvidencePackFixture.Model}/versions/2/evidence?format=html";
    private const string AuditExport = "/api/v1/audit/export?format=csv";

    private static HttpRequestMessage Get(string url, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }

        return request;
    }

    /// <summary>What Chromium sends for an &lt;img&gt; on a registry page, and for other subresources and other sites.</summary>
    public static TheoryData<string, string, string, string> EmbeddedFetches() => new()
    {
        { Evidence, "image", "no-cors", "same-origin" },
        { AuditExport, "image", "no-cors", "same-origin" },
        { Evidence, "script", "no-cors", "same-origin" },
        { Evidence, "style", "no-cors", "same-origin" },
        { AuditExport, "iframe", "navigate", "same-origin" },
        { Evidence, "document", "navigate", "cross-site" },
        { AuditExport, "empty", "cors", "cross-site" },
    };

    [Theory]
    [MemberData(nameof(EmbeddedFetches))]
    public async Task A_cookie_request_a_page_embedded_is_refused_and_records_nothing(string url, string destination, string mode, string site)
    {
        var auditor = await fixture.App.CreateUserAsync(Roles.Auditor);
        using var session = await CookieSession.SignInAsync(fixture.App, auditor);
        var before = await fixture.App.LastAuditSequenceAsync();

        using var response = await session.Client.SendAsync(
            Get(url, ("Sec-Fetch-Dest", destination), ("Sec-Fetch-Mode", mode), ("Sec-Fetch-Site", site)), Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("Embedded request refused", problem.GetProperty("title").GetString());
        Assert.Equal(before, await fixture.App.LastAuditSequenceAsync());
    }

    [Theory]
    [InlineData("document", "navigate", "same-origin")]
    [InlineData("empty", "navigate", "same-origin")]
    [InlineData("empty", "cors", "same-origin")]
    [InlineData("document", "navigate", "none")]
    public async Task The_dashboards_own_link_downloads_the_pack_and_records_it(string destination, string mode, string site)
    {
        using var session = await CookieSession.SignInAsync(fixture.App, fixture.Viewer);
        var before = await fixture.App.LastAuditSequenceAsync();

        using var response = await session.Client.SendAsync(
            Get(Evidence, ("Sec-Fetch-Dest", destination), ("Sec-Fetch-Mode", mode), ("Sec-Fetch-Site", site)), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        var events = await fixture.App.AuditEventsAsync(before);
        Assert.Equal("evidence.exported", Assert.Single(events).Action);
    }

    [Fact]
    public async Task The_audit_export_link_still_downloads_for_an_auditor()
    {
        var auditor = await fixture.App.CreateUserAsync(Roles.Auditor);
        using var session = await CookieSession.SignInAsync(fixture.App, auditor);

        using var response = await session.Client.SendAsync(
            Get(AuditExport, ("Sec-Fetch-Dest", "document"), ("Sec-Fetch-Mode", "navigate"), ("Sec-Fetch-Site", "same-origin")), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("sequence,time,", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task A_token_caller_is_not_asked_for_fetch_metadata()
    {
        using var client = await fixture.App.ClientForAsync(fixture.Viewer);
        var before = await fixture.App.LastAuditSequenceAsync();

        // A pipeline never sends these, but a token is no cookie: whatever it sends, no page can have made the request.
        using var response = await client.SendAsync(Get(Evidence, ("Sec-Fetch-Dest", "image"), ("Sec-Fetch-Mode", "no-cors")), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(await fixture.App.AuditEventsAsync(before));
    }
}
