using Microsoft.Playwright;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

[Collection(BrowserCollection.Name)]
public sealed class ContentSecurityPolicyTests(BrowserFixture browser)
{
    [Fact]
    public async Task Dashboard_runs_under_its_content_security_policy_without_violations()
    {
        var admin = await browser.App.CreateUserAsync(Roles.Admin, Roles.DataScientist);
        var name = $"csp-{Guid.NewGuid():N}"[..16];
        await browser.App.RegisterModelAsync(admin, name);
        await browser.App.CreateVersionAsync(admin, name);

        var page = await browser.NewPageAsync();
        var violations = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
            {
                violations.Add($"{page.Url}: {message.Text}");
            }
        };

        var response = await page.GotoAsync("/Account/Login");
        Assert.Contains("script-src 'self'", (await response!.AllHeadersAsync())["content-security-policy"]);
        await BrowserFixture.SignInAsync(page, admin);
        foreach (var path in new[] { "/", "/models", $"/models/{name}", $"/models/{name}/versions/1", "/models/new", "/tokens", "/admin/users", "/admin/webhooks" })
        {
            await page.GotoAsync(path);
            await BrowserFixture.WaitForCircuitAsync(page);
        }

        await page.GotoAsync("/reference");
        await Assertions.Expect(page.GetByText("Model Registry for LLMs").First).ToBeVisibleAsync(new() { Timeout = 15_000 });
        await BrowserFixture.ScreenshotAsync(page, "api-reference");

        Assert.Empty(violations);
        await page.Context.CloseAsync();
    }
}
