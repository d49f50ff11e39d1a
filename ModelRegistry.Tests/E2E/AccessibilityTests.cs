using Microsoft.Playwright;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

/// <summary>
/// axe-core (WCAG 2.0 A/AA, 2.1 AA) finds no serious or critical problem on any dashboard page, for any role, with the
/// demo showcase as content; every page in the light and the dark theme for the role that sees the most (Admin), and
/// the pages whose controls differ by role for every other role. docs/design.md, "Dashboard". Each visit also leaves a screenshot under TestResults/.
/// The pages of one role and theme are visited in turn in one browser context; a failure lists each page with problems.
/// </summary>
[Collection(ShowcaseBrowserCollection.Name)]
public sealed class AccessibilityTests(BrowserFixture browser, ShowcaseSite site) : IClassFixture<ShowcaseSite>
{
    private const string Model = ShowcaseSite.Model;

    /// <summary>Every route of the dashboard (the tabs too: each is its own address), with the showcase's names filled in.</summary>
    public static IReadOnlyList<string> Paths { get; } =
    [
        "/",
        "/models",
        "/models?search=support&stage=Production",
        "/models?license=apache-2.0&sort=name",
        "/models/new",
        $"/models/{Model}",
        $"/models/{Model}?tab=versions",
        $"/models/{Model}?tab=stages",
        $"/models/{Model}/compare?versions=1,2,3",
        $"/models/{Model}/versions/new",
        $"/models/{Model}/versions/2",
        $"/models/{Model}/versions/2?tab=files",
        $"/models/{Model}/versions/2?tab=card",
        $"/models/{Model}/versions/2?tab=evaluation",
        $"/models/{Model}/versions/3?tab=lifecycle",
        $"/models/{Model}/versions/2?tab=deployments",
        $"/models/{Model}/versions/2?tab=activity",
        $"/models/{Model}/versions/2?tab=lineage",
        $"/models/{Model}/versions/2/files/config.json",
        $"/models/{Model}/versions/3/edit",
        $"/models/{Model}/versions/production",
        $"/models/{ShowcaseSite.ChecklistModel}/versions/1?tab=card",
        $"/models/{ShowcaseSite.ChecklistModel}/versions/1/files/{ShowcaseSite.WeightFile}",
        "/approvals",
        "/approvals?view=decided",
        "/deployments",
        "/tokens",
        "/audit",
        "/admin/users",
        "/admin/webhooks",
        "/admin/teams",
        "/not-found",
        "/no/such/page",
        "/Account/Manage",
        "/Account/Manage/Email",
        "/Account/Manage/ChangePassword",
        "/Account/Manage/TwoFactorAuthentication",
        "/Account/Manage/Passkeys",
        "/Account/Manage/PersonalData",
        "/Error",
    ];

    /// <summary>
    /// The pages whose controls differ by role (edit, upload, approve, request, revoke…). Admin, who sees every control,
    /// visits every path; the other roles visit these, where their page is not a subset of Admin's. This keeps the
    /// matrix honest while the suite stays within its time budget.
    /// </summary>
    public static IReadOnlyList<string> RoleSensitivePaths { get; } =
    [
        "/",
        "/models",
        $"/models/{Model}",
        $"/models/{Model}?tab=versions",
        $"/models/{Model}?tab=stages",
        $"/models/{Model}/versions/2",
        $"/models/{Model}/versions/2?tab=files",
        $"/models/{Model}/versions/2?tab=card",
        $"/models/{Model}/versions/2?tab=evaluation",
        $"/models/{Model}/versions/3?tab=lifecycle",
        $"/models/{Model}/versions/2?tab=deployments",
        "/approvals",
        "/tokens",
        "/audit",
        "/no/such/page",
    ];

    /// <summary>
    /// One case per role and theme: Admin visits every path in the light and the dark theme, every other role the
    /// role-sensitive paths in the light theme.
    /// </summary>
    public static TheoryData<string, bool> RolesAndThemes()
    {
        var data = new TheoryData<string, bool>();
        foreach (var role in ShowcaseSite.CheckedRoles)
        {
            data.Add(role, false);
        }

        data.Add(Roles.Admin, true);
        return data;
    }

    /// <summary>The paths <paramref name="role"/> is checked on.</summary>
    public static IReadOnlyList<string> PathsFor(string role) => role == Roles.Admin ? Paths : RoleSensitivePaths;

    /// <summary>
    /// Every path of the role, each loaded by a full navigation in one signed-in browser context (one sign-in and a warm
    /// HTTP cache instead of a fresh context per path: the time of the suite). A path that fails does not stop the
    /// others; the failure names every path with a problem and its violations.
    /// </summary>
    [Theory]
    [MemberData(nameof(RolesAndThemes))]
    public async Task Pages_have_no_serious_accessibility_problem(string role, bool dark)
    {
        var paths = PathsFor(role);
        var problems = new List<string>();
        var page = await site.NewPageAsync(browser, role, BrowserFixture.Desktop, dark);
        try
        {
            foreach (var path in paths)
            {
                try
                {
                    await ShowcaseSite.VisitAsync(page, path);
                    var violations = await Axe.SeriousViolationsAsync(page);
                    await BrowserFixture.ScreenshotAsync(page, $"a11y/{ScreenshotName(role, path, dark)}");
                    if (violations.Count > 0)
                    {
                        problems.Add($"{path} as {role}{(dark ? " (dark)" : "")}:\n" + string.Join("\n", violations));
                    }
                }
                catch (Exception e) when (e is PlaywrightException or TimeoutException)
                {
                    problems.Add($"{path} as {role}{(dark ? " (dark)" : "")}: could not be checked: {e.Message.Split('\n')[0]}");
                }
            }
        }
        finally
        {
            await page.Context.CloseAsync();
        }

        Assert.True(problems.Count == 0,
            $"{problems.Count} of {paths.Count} pages as {role}{(dark ? " (dark)" : "")} have serious accessibility problems:\n" +
            string.Join("\n", problems));
    }

    [Theory]
    [InlineData("/Account/Login")]
    [InlineData("/Account/ForgotPassword")]
    public async Task Signed_out_page_has_no_serious_accessibility_problem(string path)
    {
        var page = await site.OpenAsync(browser, null, path, BrowserFixture.Desktop);
        try
        {
            var violations = await Axe.SeriousViolationsAsync(page);
            Assert.True(violations.Count == 0, $"{path}:\n" + string.Join("\n", violations));
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Open_menus_have_no_serious_accessibility_problem(bool dark)
    {
        var page = await site.OpenAsync(browser, Roles.DataScientist, "/", BrowserFixture.Desktop, dark);
        try
        {
            await page.GetByRole(AriaRole.Button, new() { Name = "Notifications, 1 unread" }).ClickAsync();
            await Assertions.Expect(page.GetByText("Mark all read")).ToBeVisibleAsync();
            var violations = await Axe.SeriousViolationsAsync(page);
            Assert.True(violations.Count == 0, "Notifications:\n" + string.Join("\n", violations));
            await page.Keyboard.PressAsync("Escape");

            await page.Locator(".account-chip").ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Menuitem, new() { Name = "Sign out" })).ToBeVisibleAsync();
            violations = await Axe.SeriousViolationsAsync(page);
            Assert.True(violations.Count == 0, "Account menu:\n" + string.Join("\n", violations));
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task Keyboard_focus_is_always_visible_and_the_content_is_one_skip_away()
    {
        var page = await site.OpenAsync(browser, Roles.DataScientist, "/models", BrowserFixture.Desktop);
        try
        {
            // The skip link is the first Tab stop of the page, shows when focused, and takes focus to <main>.
            Assert.Equal("Skip to content", await page.EvaluateAsync<string>(
                "() => [...document.querySelectorAll('a[href], button, input, [tabindex]:not([tabindex=\"-1\"])')][0].textContent.trim()"));
            var skip = page.GetByRole(AriaRole.Link, new() { Name = "Skip to content" });
            await skip.FocusAsync();
            await Assertions.Expect(skip).ToBeInViewportAsync();
            await page.Keyboard.PressAsync("Enter");
            await Assertions.Expect(page.Locator("main#main-content")).ToBeFocusedAsync();
            Assert.Single(await page.Locator("main").AllAsync());

            // Every control reached by Tab shows a ring (an outline of at least 2 px, or a box shadow).
            for (var i = 0; i < 12; i++)
            {
                await page.Keyboard.PressAsync("Tab");
                var ring = await page.EvaluateAsync<string>(
                    """
                    () => {
                      const e = document.activeElement, s = getComputedStyle(e);
                      // MudBlazor's outlined fields show focus as a 2 px primary border around the field.
                      const border = e.closest('.mud-input-outlined')?.querySelector('.mud-input-outlined-border');
                      const fieldRing = !!border && parseFloat(getComputedStyle(border).borderTopWidth) >= 2;
                      const visible = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none' || fieldRing;
                      return visible ? '' : `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} "${(e.textContent || e.getAttribute('aria-label') || '').trim().slice(0, 40)}"`;
                    }
                    """);
                Assert.True(ring.Length == 0, $"No visible focus on {ring}");
            }
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    internal static string ScreenshotName(string role, string path, bool dark) =>
        $"{role.ToLowerInvariant()}{(dark ? "-dark" : "")}{string.Concat(path.Select(c => char.IsLetterOrDigit(c) ? c : '_'))}";
}
