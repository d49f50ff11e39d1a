using System.Net;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>A hand-edited or mangled link to a dashboard list shows the list, never the error page.</summary>
public sealed class DashboardQueryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_page_number_that_is_not_a_number_shows_the_first_page()
    {
        await using var app = new RegistryApp();
        var admin = await app.CreateUserAsync(Roles.Admin);
        await app.RegisterModelAsync(admin, "paging-model");
        using var session = await CookieSession.SignInAsync(app, admin);

        var failures = new List<string>();
        foreach (var path in new[] { "/models", "/models/paging-model", "/audit", "/approvals" })
        {
            foreach (var page in new[] { "abc", "-1", "99999999999" })
            {
                using var response = await session.Client.GetAsync($"{path}?page={page}", Ct);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    failures.Add($"{path}?page={page} → {(int)response.StatusCode}");
                }
            }
        }

        Assert.Empty(failures);
    }
}
