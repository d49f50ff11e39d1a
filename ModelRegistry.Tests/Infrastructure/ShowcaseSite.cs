using Microsoft.Playwright;
using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Demo;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Tests.Infrastructure;

/// <summary>
/// A registry of its own on a real port, filled the way a demo is (seed-demo's showcase: five models, versions in every
/// stage, cards, metrics, requests, deployments), plus one user per role with an API token, a notification and a card
/// with a task list: pages with content for the accessibility and phone-layout tests. Signed-in browser state is made
/// once per role and reused, so each page visit costs one navigation.
/// </summary>
public sealed class ShowcaseSite : IAsyncLifetime
{
    /// <summary>The roles whose dashboards are checked.</summary>
    public static IReadOnlyList<string> CheckedRoles { get; } =
        [Roles.Admin, Roles.DataScientist, Roles.Reviewer, Roles.Auditor];

    /// <summary>The model every per-model page is looked at on (a Production, an Archived and a pending version).</summary>
    public const string Model = "support-assistant";

    /// <summary>The model whose card has a task list (rendered checkboxes).</summary>
    public const string ChecklistModel = "release-checklist";

    /// <summary>A safetensors file of <see cref="ChecklistModel"/> version 1.</summary>
    public const string WeightFile = "weights/model.safetensors";

    private readonly Dictionary<string, string> _states = [];
    private readonly SemaphoreSlim _signIn = new(1, 1);

    public RegistryApp App { get; } = new();
    public string BaseUrl { get; private set; } = "";
    public Dictionary<string, TestUser> Users { get; } = [];

    public async ValueTask InitializeAsync()
    {
        App.UseKestrel(0);
        App.StartServer();
        BaseUrl = App.ClientOptions.BaseAddress.ToString().TrimEnd('/');
        var ct = TestContext.Current.CancellationToken;
        await App.Get<DemoSeeder>().SeedShowcaseAsync(ct);
        foreach (var role in CheckedRoles)
        {
            var user = await App.CreateUserAsync(role);
            Users[role] = user;
            await App.Get<TokenService>().CreateAsync(user.Actor, user.Id, "ci-pipeline", 30, ct);
        }

        var scientist = Users[Roles.DataScientist];
        await App.Get<ModelService>().CreateAsync(scientist.Actor, new CreateModel(ChecklistModel, "Release checklist",
            "A model whose card tracks its release steps.", "text-generation", ["checklist"]), ct);
        await App.Get<VersionService>().CreateAsync(scientist.Actor, ChecklistModel, new VersionInput(Format: WeightFormat.Safetensors), ct);
        // A weight file, so the header viewer is among the pages checked.
        await App.UploadAsync(scientist, ChecklistModel, 1, WeightFile, ModelFiles.Safetensors(
            [("model.embed_tokens.weight", "BF16", [64, 16]), ("model.layers.0.self_attn.q_proj.weight", "BF16", [16, 16]), ("lm_head.weight", "F32", [64, 16])],
            new Dictionary<string, string> { ["format"] = "pt" }));
        await App.Get<CardService>().SaveAsync(scientist.Actor, ChecklistModel, 1,
            "# Release checklist\n\n## Steps\n\n- [x] Evaluate on the hold-out set\n- [ ] Red-team review\n- [ ] Sign-off by legal\n", "First draft", ct);
        // The scientist's request, decided by the reviewer, leaves a notification in the scientist's bell.
        await App.PromoteAsync(scientist, Users[Roles.Reviewer], ChecklistModel, 1, Stage.Staging);
    }

    /// <summary>Browser storage (the sign-in cookie) of <paramref name="role"/>'s user, signing in the first time.</summary>
    public async Task<string> SignedInStateAsync(BrowserFixture browser, string role)
    {
        await _signIn.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            if (!_states.TryGetValue(role, out var state))
            {
                var page = await browser.NewPageAsync(BaseUrl, BrowserFixture.Desktop);
                await BrowserFixture.SignInAsync(page, Users[role]);
                state = await page.Context.StorageStateAsync();
                await page.Context.CloseAsync();
                _states[role] = state;
            }

            return state;
        }
        finally
        {
            _signIn.Release();
        }
    }

    /// <summary>
    /// Opens <paramref name="path"/> in a fresh context signed in as <paramref name="role"/> (anonymous when null),
    /// in the given theme, and waits until the circuit is up and nothing is loading any more.
    /// </summary>
    public async Task<IPage> OpenAsync(BrowserFixture browser, string? role, string path, ViewportSize viewport, bool dark = false)
    {
        var page = await NewPageAsync(browser, role, viewport, dark);
        await VisitAsync(page, path);
        return page;
    }

    /// <summary>
    /// A fresh context signed in as <paramref name="role"/> (anonymous when null) in the given theme, with reduced
    /// motion, on no page yet: for a test that visits several paths in turn with <see cref="VisitAsync"/>.
    /// </summary>
    public async Task<IPage> NewPageAsync(BrowserFixture browser, string? role, ViewportSize viewport, bool dark = false)
    {
        var state = role is null ? null : await SignedInStateAsync(browser, role);
        var page = await browser.NewPageAsync(BaseUrl, viewport, state);
        await page.Context.AddCookiesAsync([new Cookie { Name = "registry.theme", Value = dark ? "dark" : "light", Url = BaseUrl }]);
        await page.EmulateMediaAsync(new() { ReducedMotion = ReducedMotion.Reduce });
        return page;
    }

    /// <summary>Loads <paramref name="path"/> in <paramref name="page"/> (a full navigation, as typed into the address bar) and settles.</summary>
    public static async Task VisitAsync(IPage page, string path)
    {
        await page.GotoAsync(path);
        await SettleAsync(page);
    }

    /// <summary>Identity's pages and the error page are server-rendered: no circuit comes up there.</summary>
    public static bool IsServerRendered(string path) =>
        path.StartsWith("/Account", StringComparison.OrdinalIgnoreCase) || path.StartsWith("/Error", StringComparison.OrdinalIgnoreCase);

    /// <summary>Waits for the circuit (on interactive pages) and for every loading indicator to go.</summary>
    public static async Task SettleAsync(IPage page)
    {
        if (!IsServerRendered(new Uri(page.Url).AbsolutePath))
        {
            await BrowserFixture.WaitForCircuitAsync(page);
        }

        await page.WaitForFunctionAsync("() => document.querySelectorAll('.mud-progress-linear, .mud-table-loading').length === 0");
        // Two frames: transitions that start on the last render have begun, and with reduced motion they are done.
        await page.EvaluateAsync("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))");
    }

    public async ValueTask DisposeAsync()
    {
        _signIn.Dispose();
        await App.DisposeAsync();
    }
}
