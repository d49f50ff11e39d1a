using Microsoft.Playwright;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Teams;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

/// <summary>
/// The dashboard in a real browser: a Restricted model is missing for a non-member on the list, in a search run inside
/// the circuit, and on its own page, while a member sees it with its chip and their team in the app bar.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class TeamVisibilityTests(BrowserFixture browser)
{
    [Fact]
    public async Task Restricted_model_is_hidden_from_a_non_member_and_chipped_for_a_member()
    {
        var ct = TestContext.Current.CancellationToken;
        var app = browser.App;
        var admin = await app.CreateUserAsync(Roles.Admin);
        var member = await app.CreateUserAsync(Roles.DataScientist);
        var outsider = await app.CreateUserAsync(Roles.DataScientist);
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var team = $"e2e-team-{suffix}";
        var secret = $"e2e-secret-{suffix}";
        var open = $"e2e-open-{suffix}";
        await app.Get<TeamService>().CreateAsync(admin.Actor, new CreateTeam(team), ct);
        await app.Get<TeamService>().AddMemberAsync(admin.Actor, team, member.Email, ct);
        await app.RegisterModelAsync(member, secret, description: "e2e needle");
        await app.RegisterModelAsync(member, open, description: "e2e needle");
        await app.Get<ModelService>().UpdateAsync(admin.Actor, secret, new UpdateModel(OwnerTeam: team, Visibility: ModelVisibility.Restricted), ct);

        var page = await browser.NewPageAsync(outsider);
        await page.GotoAsync("/models");
        await BrowserFixture.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByText(open).First).ToBeVisibleAsync();
        Assert.Equal(0, await page.GetByText(secret).CountAsync());
        // A search typed into the page runs in the circuit, not in the request that loaded it.
        var search = page.GetByLabel("Search models");
        await search.FillAsync("needle");
        await search.PressAsync("Tab");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("search=needle"));
        await Assertions.Expect(page.GetByText(open).First).ToBeVisibleAsync();
        Assert.Equal(0, await page.GetByText(secret).CountAsync());
        await page.GotoAsync($"/models/{secret}");
        await Assertions.Expect(page.GetByText($"There is no model named '{secret}'").First).ToBeVisibleAsync();
        await page.Context.CloseAsync();

        var mine = await browser.NewPageAsync(member);
        await mine.GotoAsync($"/models/{secret}");
        await Assertions.Expect(mine.Locator("[data-test=visibility-chip]")).ToContainTextAsync($"Restricted · {team}");
        await Assertions.Expect(mine.Locator("[data-test=my-teams]")).ToContainTextAsync(team);
        await mine.Context.CloseAsync();
    }
}
