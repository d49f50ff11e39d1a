using Microsoft.Playwright;

namespace ModelRegistry.Tests.Infrastructure;

/// <summary>
/// One headless Debian Chromium for the whole run (never a downloaded browser: `playwright install` is not
/// used), and the registry on a real Kestrel port. Each test takes a fresh browser context.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;
    public RegistryApp App { get; } = new();
    public string BaseUrl { get; private set; } = "";

    /// <summary>Where screenshots go, for people to look at after a run.</summary>
    public static string ScreenshotDirectory { get; } =
        Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "TestResults", "screenshots");

    public async ValueTask InitializeAsync()
    {
        App.UseKestrel(0);
        App.StartServer();
        BaseUrl = App.ClientOptions.BaseAddress.ToString().TrimEnd('/');
        Directory.CreateDirectory(ScreenshotDirectory);

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium",
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
            ],
        });
    }

    /// <summary>A fresh context and page, signed in as <paramref name="user"/> when given.</summary>
    public async Task<IPage> NewPageAsync(TestUser? user = null)
    {
        var page = await NewPageAsync(BaseUrl, Desktop);
        if (user is not null)
        {
            await SignInAsync(page, user);
        }

        return page;
    }

    /// <summary>The viewport most tests use.</summary>
    public static ViewportSize Desktop { get; } = new() { Width = 1400, Height = 900 };

    /// <summary>
    /// A fresh context and page on <paramref name="baseUrl"/> (this fixture's registry or another one) at
    /// <paramref name="viewport"/>, carrying the cookies of <paramref name="storageState"/> (from
    /// <see cref="IBrowserContext.StorageStateAsync"/>) when given.
    /// </summary>
    public async Task<IPage> NewPageAsync(string baseUrl, ViewportSize viewport, string? storageState = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseUrl,
            ViewportSize = viewport,
            StorageState = storageState,
        });
        // 30 s (Playwright's own default): CI shares 2 cores with benchmarks and other builds, and a 15 s wait for a
        // navigation timed out there once with nothing wrong (DataScientistJourneyTests, load ≈ 8 with a 1 GiB benchmark).
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    public static async Task SignInAsync(IPage page, TestUser user)
    {
        await page.GotoAsync("/Account/Login");
        await page.GetByLabel("Email").FillAsync(user.Email);
        await page.GetByLabel("Password").FillAsync(user.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/Account/Login", StringComparison.Ordinal));
        await WaitForCircuitAsync(page);
    }

    /// <summary>Clicks only work once the interactive circuit is up.</summary>
    public static async Task WaitForCircuitAsync(IPage page)
    {
        await page.WaitForFunctionAsync(
            "() => document.documentElement.dataset.interactive === 'true'",
            null, new PageWaitForFunctionOptions { Timeout = 15_000 });
    }

    /// <summary>A full-page screenshot at TestResults/screenshots/<paramref name="name"/>.png (a name may hold a folder).</summary>
    public static Task ScreenshotAsync(IPage page, string name)
    {
        var path = Path.Combine(ScreenshotDirectory, name + ".png");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        await App.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}

/// <summary>
/// A second browser for the tests that bring their own registry (<see cref="ShowcaseSite"/>) and use only the browser
/// of the fixture: they need no state of the shared registry, so they run beside the <see cref="BrowserCollection"/>
/// instead of lengthening its one serial chain (the longest path of the suite's wall time).
/// </summary>
[CollectionDefinition(Name)]
public sealed class ShowcaseBrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "showcase browser";
}
