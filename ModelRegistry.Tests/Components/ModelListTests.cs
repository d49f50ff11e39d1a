using System.Globalization;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;
using ModelRegistry.Web.Components.Pages.Models;

namespace ModelRegistry.Tests.Components;

/// <summary>Two registries for the list page: one empty, one with more models than a page holds.</summary>
public sealed class ModelListData : IAsyncLifetime
{
    public const int ModelCount = 30;

    public RegistryApp Empty { get; } = new();
    public RegistryApp Seeded { get; } = new();

    public async ValueTask InitializeAsync()
    {
        await Task.WhenAll(Empty.InitializeAsync(), Seeded.InitializeAsync());
        var ds = await Seeded.CreateUserAsync(Roles.DataScientist);
        var models = Seeded.Get<ModelService>();
        for (var i = 1; i <= ModelCount; i++)
        {
            await models.CreateAsync(ds.Actor, new CreateModel($"model-{i:00}", $"Model {i:00}", "A test model.", "text-generation",
                i % 2 == 0 ? ["even"] : ["odd"]));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Empty.DisposeAsync();
        await Seeded.DisposeAsync();
    }
}

public sealed class ModelListTests(ModelListData data) : IClassFixture<ModelListData>, IAsyncDisposable
{
    private readonly BunitContext _ctx = DashboardTestContext.Create();

    private IRenderedComponent<ModelList> RenderList(RegistryApp app, string url = "/models", params string[] roles)
    {
        _ctx.Services.AddSingleton(app.Get<ModelService>());
        _ctx.Services.AddSingleton(TimeProvider.System);
        _ctx.SignIn(roles);
        _ctx.Services.GetRequiredService<NavigationManager>().NavigateTo(url);
        var (list, _) = _ctx.RenderWithPopovers<ModelList>();
        list.WaitForAssertion(() => Assert.Empty(list.FindAll("[aria-label=Loading]")));
        return list;
    }

    private static List<string> ModelNames(IRenderedComponent<ModelList> list) =>
        list.FindAll("[aria-label=Models] table tbody tr td[data-label=Model] .mono").Select(e => e.TextContent.Trim()).ToList();

    [Fact]
    public void Lists_the_models_in_the_database_newest_change_first()
    {
        var list = RenderList(data.Seeded);

        var names = ModelNames(list);
        Assert.Equal(25, names.Count);
        Assert.Equal("model-30", names[0]);
        Assert.Equal("model-06", names[^1]);
        Assert.Contains("Model 30", list.Find("[aria-label=Models] table tbody tr").TextContent);
        Assert.Contains(ModelListData.ModelCount.ToString(CultureInfo.CurrentCulture), list.Find(".page-header .mud-chip").TextContent);
    }

    [Fact]
    public void Pagination_appears_when_there_are_more_models_than_a_page()
    {
        var list = RenderList(data.Seeded);

        var pages = list.FindAll(".mud-pagination .mud-pagination-item button").Select(b => b.TextContent.Trim()).ToList();
        Assert.Contains("1", pages);
        Assert.Contains("2", pages);
        Assert.DoesNotContain("3", pages);
    }

    [Fact]
    public void Second_page_shows_the_rest_and_a_narrow_search_needs_no_pagination()
    {
        var second = RenderList(data.Seeded, "/models?page=2");
        Assert.Equal(["model-05", "model-04", "model-03", "model-02", "model-01"], ModelNames(second));

        _ctx.Services.GetRequiredService<NavigationManager>().NavigateTo("/models?search=model-0");
        second.WaitForAssertion(() => Assert.Equal(9, ModelNames(second).Count));
        Assert.Empty(second.FindAll(".mud-pagination"));
    }

    [Fact]
    public void Empty_registry_says_no_models_registered_yet()
    {
        var list = RenderList(data.Empty);

        Assert.Contains("No models registered yet", list.Markup);
        Assert.Empty(list.FindAll("[aria-label=Models] table"));
    }

    [Fact]
    public void Search_that_matches_nothing_says_no_models_match_and_offers_to_clear_filters()
    {
        var list = RenderList(data.Seeded, "/models?search=no-such-model-anywhere");

        Assert.Contains("No models match these filters", list.Markup);
        Assert.DoesNotContain("No models registered yet", list.Markup);
        Assert.Contains(list.FindAll("button"), b => b.TextContent.Trim() == "Clear filters");
    }

    [Fact]
    public void Facets_show_counts_and_each_value_links_to_the_list_with_that_filter_on_page_one()
    {
        var list = RenderList(data.Seeded, "/models?page=2&sort=name");

        var tag = list.Find(".facet-sidebar section[data-facet=tag]");
        var even = tag.QuerySelectorAll("a.facet-value").Single(a => a.QuerySelector(".facet-label")!.TextContent == "even");
        Assert.Equal("15", even.QuerySelector(".facet-count")!.TextContent);
        var href = even.GetAttribute("href")!;
        Assert.Contains("tag=even", href);
        Assert.Contains("sort=name", href);
        Assert.DoesNotContain("page=", href);
        var task = list.Find(".facet-sidebar section[data-facet=task] a.facet-value");
        Assert.Equal("30", task.QuerySelector(".facet-count")!.TextContent);
    }

    [Fact]
    public void A_chosen_facet_value_from_the_url_filters_the_list_is_marked_and_its_link_removes_it()
    {
        var list = RenderList(data.Seeded, "/models?tag=odd");

        Assert.Equal(15, ModelNames(list).Count);
        var chosen = list.Find(".facet-sidebar section[data-facet=tag] a.facet-value.selected");
        Assert.Equal("true", chosen.GetAttribute("aria-current"));
        Assert.Contains("odd", chosen.TextContent);
        Assert.DoesNotContain("tag=", chosen.GetAttribute("href")!);
        // The other tag's count is what choosing it instead would show: the tag facet ignores its own filter.
        var other = list.FindAll(".facet-sidebar section[data-facet=tag] a.facet-value").Single(a => a.TextContent.Contains("even"));
        Assert.Contains("15", other.QuerySelector(".facet-count")!.TextContent);
        Assert.Contains("Filters (1)", list.Find(".facet-toggle").TextContent);
    }

    [Fact]
    public void Viewer_does_not_see_register_a_model()
    {
        var list = RenderList(data.Seeded);

        Assert.DoesNotContain(list.FindAll("a, button"), e => e.TextContent.Contains("Register", StringComparison.Ordinal));
    }

    [Fact]
    public void Data_scientist_sees_register_a_model()
    {
        var list = RenderList(data.Seeded, roles: Roles.DataScientist);

        var register = list.FindAll("a").Single(a => a.TextContent.Trim() == "Register a model");
        Assert.Equal("/models/new", register.GetAttribute("href"));
    }

    public ValueTask DisposeAsync() => _ctx.DisposeAsync();
}
