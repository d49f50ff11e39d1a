using System.Net;
using ModelRegistry.Core.Aliases;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>
/// <c>/models/{name}/versions/{reference}</c> in the dashboard: a reference that is not a number is resolved by Core and
/// answered with a redirect to the numbered page, so a kept address names one version for good.
/// </summary>
public sealed class VersionReferencePageTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Aliases_latest_stages_and_commits_redirect_to_the_numbered_version_page()
    {
        await using var app = new RegistryApp();
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var reviewer = await app.CreateUserAsync(Roles.Reviewer);
        await app.ModelWithVersionsAsync(ds, "paged-ref", 4);
        await app.PromoteAsync(ds, reviewer, "paged-ref", 2, Stage.Production);
        await app.Get<AliasService>().SetAsync(ds.Actor, "paged-ref", "champion", 3, Ct);
        var commit = (await app.Get<ModelRegistry.Core.Versions.VersionService>().GetAsync("paged-ref", 1, Ct)).Commit;
        using var session = await CookieSession.SignInAsync(app, ds);

        var expected = new Dictionary<string, string>
        {
            ["champion"] = "/models/paged-ref/versions/3",
            ["latest"] = "/models/paged-ref/versions/4",
            ["production"] = "/models/paged-ref/versions/2",
            [commit[..12]] = "/models/paged-ref/versions/1",
            ["champion?tab=files"] = "/models/paged-ref/versions/3?tab=files",
        };
        foreach (var (reference, location) in expected)
        {
            using var response = await session.Client.GetAsync($"/models/paged-ref/versions/{reference}", Ct);
            Assert.True(response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found, $"{reference} → {(int)response.StatusCode}");
            Assert.Equal(location, response.Headers.Location?.IsAbsoluteUri == true
                ? response.Headers.Location.PathAndQuery : response.Headers.Location?.OriginalString);
        }

        // A number is the version page itself, and "new" stays the new-version form.
        using var numbered = await session.Client.GetAsync("/models/paged-ref/versions/3", Ct);
        Assert.Equal(HttpStatusCode.OK, numbered.StatusCode);
        using var form = await session.Client.GetAsync("/models/paged-ref/versions/new", Ct);
        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        Assert.Contains("New version", await form.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task An_unknown_reference_shows_what_core_says_and_redirects_nowhere()
    {
        await using var app = new RegistryApp();
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.ModelWithVersionsAsync(ds, "paged-unknown", 1);
        using var session = await CookieSession.SignInAsync(app, ds);

        using var response = await session.Client.GetAsync("/models/paged-unknown/versions/challenger", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("has no version, alias or commit &#x27;challenger&#x27;", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Signed_out_the_reference_is_not_resolved_but_sent_to_sign_in()
    {
        await using var app = new RegistryApp();
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.ModelWithVersionsAsync(ds, "paged-anon", 2);
        await app.Get<AliasService>().SetAsync(ds.Actor, "paged-anon", "champion", 2, Ct);

        using var response = await app.AnonymousClient().GetAsync("/models/paged-anon/versions/champion", Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("/Account/Login", response.Headers.Location?.OriginalString);
        Assert.DoesNotContain("versions/2", response.Headers.Location?.OriginalString);
    }
}
