using Microsoft.Playwright;
using ModelRegistry.Core.Aliases;
using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Deployments;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

/// <summary>The README-first model page: the Production version's card as the body, its facts beside it, the other tabs one click away.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ModelPageTests(BrowserFixture browser)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Card = """
        ---
        license: apache-2.0
        ---
        # Support assistant

        Answers customer questions about **billing** and orders.

        ## Intended use

        First-line support in English; hand over to a person on anything legal.

        ## Limitations

        | Area | Known gap |
        |------|-----------|
        | Languages | English only |
        | Refunds | Cannot issue them |

        <script>window.injected = true</script>
        """;

    [Fact]
    public async Task The_model_page_opens_on_the_production_card_with_the_facts_beside_it_and_stacks_on_a_phone()
    {
        var ds = await browser.App.CreateUserAsync(Roles.DataScientist);
        var reviewer = await browser.App.CreateUserAsync(Roles.Reviewer);
        var admin = await browser.App.CreateUserAsync(Roles.Admin);
        var model = LifecycleAppExtensions.Unique("readme-e2e");
        await browser.App.RegisterModelAsync(ds, model, task: "text-generation");
        await browser.App.CreateVersionAsync(ds, model, new VersionInput(BaseModel: "meta-llama/Llama-3.1-8B-Instruct", ParameterCount: 8_030_261_248,
            ContextLength: 131_072, Format: WeightFormat.Safetensors, License: "apache-2.0"));
        await browser.App.Get<CardService>().SaveAsync(ds.Actor, model, 1, Card, "First card", Ct);
        await browser.App.PromoteAsync(ds, reviewer, model, 1, Stage.Production);
        await browser.App.CreateVersionAsync(ds, model, new VersionInput(Format: WeightFormat.Gguf));
        await browser.App.Get<AliasService>().SetAsync(ds.Actor, model, "champion", 1, Ct);
        await browser.App.Get<DeploymentService>().RecordAsync(admin.Actor, model, 1, new DeploymentInput("prod-eu"), Ct);

        var page = await browser.NewPageAsync(browser.BaseUrl, new ViewportSize { Width = 1366, Height = 768 });
        await BrowserFixture.SignInAsync(page, ds);
        await page.GotoAsync($"/models/{model}");
        await BrowserFixture.WaitForCircuitAsync(page);

        await Assertions.Expect(page.GetByRole(AriaRole.Tab, new() { Name = "Model card" })).ToHaveAttributeAsync("aria-selected", "true");
        var card = page.GetByRole(AriaRole.Article, new() { Name = "Model card" });
        await Assertions.Expect(card.GetByRole(AriaRole.Heading, new() { Name = "Intended use" })).ToBeVisibleAsync();
        await Assertions.Expect(card.GetByRole(AriaRole.Table)).ToContainTextAsync("English only");
        Assert.Equal(0, await page.Locator("article script").CountAsync());
        Assert.False(await page.EvaluateAsync<bool>("() => window.injected === true"));
        await Assertions.Expect(page.Locator(".readme-label")).ToHaveTextAsync("Card of version 1 — in Production");

        var facts = page.Locator("section[aria-label='Model facts']");
        await Assertions.Expect(facts.Locator("[data-field=stage]")).ToHaveTextAsync("Production");
        await Assertions.Expect(facts.Locator("[data-field=aliases]")).ToContainTextAsync("champion");
        await Assertions.Expect(facts.Locator("[data-field=licence]")).ToHaveTextAsync("apache-2.0");
        await Assertions.Expect(facts.Locator("[data-field=parameters]")).ToHaveTextAsync("8.03 B");
        await Assertions.Expect(facts.Locator("[data-field=deployments]")).ToContainTextAsync("Latest: v1 to prod-eu");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Use this model" })).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "model-page-readme-1366x768");

        // The versions table is one click away.
        await page.GetByRole(AriaRole.Tab, new() { Name = "Versions" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Table).GetByRole(AriaRole.Link, new() { Name = "v2", Exact = true })).ToBeVisibleAsync();
        await page.Context.CloseAsync();

        // A phone: the facts stack above the card, nothing scrolls sideways.
        var phone = await browser.NewPageAsync(browser.BaseUrl, new ViewportSize { Width = 390, Height = 844 });
        await BrowserFixture.SignInAsync(phone, ds);
        await phone.GotoAsync($"/models/{model}");
        await BrowserFixture.WaitForCircuitAsync(phone);
        var phoneCard = phone.GetByRole(AriaRole.Article, new() { Name = "Model card" });
        await Assertions.Expect(phoneCard).ToBeVisibleAsync();
        var factsBox = await phone.Locator("section[aria-label='Model facts']").BoundingBoxAsync();
        var cardBox = await phoneCard.BoundingBoxAsync();
        Assert.True(factsBox!.Y + factsBox.Height <= cardBox!.Y, "On a phone the facts panel stacks above the card.");
        Assert.True(await phone.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "The page scrolls sideways at 390 px.");
        await BrowserFixture.ScreenshotAsync(phone, "model-page-readme-390x844");
        await phone.Context.CloseAsync();
    }
}
