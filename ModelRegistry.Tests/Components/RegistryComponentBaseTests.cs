using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.AspNetCore.Components.Web;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;
using ModelRegistry.Web.Components.Shared;
using MudBlazor;
using static ModelRegistry.Tests.Infrastructure.LifecycleAppExtensions;

namespace ModelRegistry.Tests.Components;

/// <summary>
/// The base every dashboard component that calls Core stands on, driven through a small component whose button runs
/// real Core calls: what the user sees while it runs, after Core refuses, after it succeeds, and when they leave.
/// </summary>
public sealed class RegistryComponentBaseTests(RegistryApp app) : IClassFixture<RegistryApp>, IAsyncDisposable
{
    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    private readonly BunitContext _ctx = DashboardTestContext.Create();

    private ModelService Models => app.Get<ModelService>();

    /// <summary>The snackbar (rendered as MainLayout does) and the page with one Save button running <paramref name="work"/>.</summary>
    private (IRenderedComponent<Host> Page, IRenderedComponent<MudSnackbarProvider> Snackbars) Render(
        Func<CancellationToken, Task> work, string? success = null)
    {
        var snackbars = _ctx.Render<MudSnackbarProvider>();
        var page = _ctx.Render<Host>(p => p.Add(h => h.Work, work).Add(h => h.Success, success));
        return (page, snackbars);
    }

    private static AngleSharp.Dom.IElement SaveButton(IRenderedComponent<Host> page) => page.Find("button.save");

    private static List<(string Text, bool IsError)> Shown(IRenderedComponent<MudSnackbarProvider> snackbars) =>
        snackbars.FindAll(".mud-snackbar").Select(s => (
            s.QuerySelector(".mud-snackbar-content-message")!.TextContent.Trim(),
            s.ClassList.Contains("mud-alert-filled-error"))).ToList();

    [Fact]
    public async Task Cores_refusal_shows_as_its_message_in_the_snackbar_and_the_button_comes_back()
    {
        var missing = Unique("no-such-model");
        var expected = (await Assert.ThrowsAsync<NotFoundException>(() => Models.GetAsync(missing, Ct))).Message;
        var release = new TaskCompletionSource();
        var (page, snackbars) = Render(async ct =>
        {
            await release.Task;
            await Models.GetAsync(missing, ct);
        });

        var click = SaveButton(page).ClickAsync(new MouseEventArgs());
        page.WaitForAssertion(() => Assert.True(SaveButton(page).HasAttribute("disabled")));
        Assert.Empty(Shown(snackbars));

        release.SetResult();
        await click;

        snackbars.WaitForAssertion(() => Assert.Equal([(expected, true)], Shown(snackbars)));
        page.WaitForAssertion(() => Assert.False(SaveButton(page).HasAttribute("disabled")));
    }

    [Fact]
    public async Task A_success_message_shows_once_the_change_is_made()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var name = Unique("base-success");
        var (page, snackbars) = Render(ct => Models.CreateAsync(ds.Actor, new CreateModel(name), ct), success: $"Registered {name}.");

        await SaveButton(page).ClickAsync(new MouseEventArgs());

        snackbars.WaitForAssertion(() => Assert.Equal([($"Registered {name}.", false)], Shown(snackbars)));
        Assert.Equal(name, (await Models.GetAsync(name, Ct)).Name);
        Assert.False(SaveButton(page).HasAttribute("disabled"));
    }

    [Fact]
    public async Task An_unexpected_exception_is_not_swallowed_and_no_message_pretends_to_explain_it()
    {
        var (page, snackbars) = Render(_ => throw new InvalidOperationException("a bug, not a refusal"));

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => SaveButton(page).ClickAsync(new MouseEventArgs()));

        Assert.Equal("a bug, not a refusal", thrown.Message);
        Assert.Empty(Shown(snackbars));
    }

    [Fact]
    public async Task Leaving_the_page_cancels_the_running_work_and_shows_nothing()
    {
        var started = new TaskCompletionSource<CancellationToken>();
        var (page, snackbars) = Render(async ct =>
        {
            started.SetResult(ct);
            // A slow Core read in flight: it stops when its token is cancelled, as EF Core's queries do.
            await Task.Delay(Timeout.Infinite, ct);
        });
        var click = SaveButton(page).ClickAsync(new MouseEventArgs());
        var token = await started.Task;
        Assert.False(token.IsCancellationRequested);

        page.Render(p => p.Add(h => h.Visible, false));

        Assert.Empty(page.FindAll("button.save"));
        Assert.True(token.IsCancellationRequested);
        await click;
        Assert.Empty(Shown(snackbars));
    }

    [Fact]
    public async Task A_newer_read_supersedes_an_older_one_whose_late_answer_is_dropped()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var older = Unique("base-older");
        var newer = Unique("base-newer");
        await app.RegisterModelAsync(ds, older);
        await app.RegisterModelAsync(ds, newer);
        var olderMayAnswer = new TaskCompletionSource();
        CancellationToken olderToken = default;
        var (page, _) = Render(_ => Task.CompletedTask);
        var probe = page.FindComponent<Probe>().Instance;

        var first = page.InvokeAsync(() => probe.ShowAsync(async ct =>
        {
            olderToken = ct;
            await olderMayAnswer.Task;
            return await Models.GetAsync(older, CancellationToken.None);
        }));
        await page.InvokeAsync(() => probe.ShowAsync(ct => Models.GetAsync(newer, ct)));
        page.WaitForAssertion(() => Assert.Equal(newer, page.Find(".shown").TextContent));
        Assert.True(olderToken.IsCancellationRequested);

        olderMayAnswer.SetResult();
        await first;

        Assert.Equal(newer, page.Find(".shown").TextContent);
    }

    public ValueTask DisposeAsync() => _ctx.DisposeAsync();

    /// <summary>A page that shows the probe until it is told not to, as a page leaves the screen on navigation.</summary>
    public sealed class Host : ComponentBase
    {
        [Parameter] public Func<CancellationToken, Task> Work { get; set; } = _ => Task.CompletedTask;
        [Parameter] public string? Success { get; set; }
        [Parameter] public bool Visible { get; set; } = true;

        protected override void BuildRenderTree(RenderTreeBuilder builder)
        {
            if (Visible)
            {
                builder.OpenComponent<Probe>(0);
                builder.AddComponentParameter(1, nameof(Probe.Work), Work);
                builder.AddComponentParameter(2, nameof(Probe.Success), Success);
                builder.CloseComponent();
            }
        }
    }

    /// <summary>A component on the base: a Save button bound to <c>Busy</c> that runs the work, and a model name a read shows.</summary>
    public sealed class Probe : RegistryComponentBase
    {
        private string? _shown;

        [Parameter] public Func<CancellationToken, Task> Work { get; set; } = _ => Task.CompletedTask;
        [Parameter] public string? Success { get; set; }

        /// <summary>Shows the name of the model <paramref name="read"/> answers with, unless a newer read superseded it.</summary>
        public async Task ShowAsync(Func<CancellationToken, Task<ModelInfo>> read)
        {
            var model = await RunLatestAsync(read);
            if (model.Succeeded)
            {
                _shown = model.Value!.Name;
                StateHasChanged();
            }
        }

        protected override void BuildRenderTree(RenderTreeBuilder builder)
        {
            builder.OpenElement(0, "button");
            builder.AddAttribute(1, "class", "save");
            builder.AddAttribute(2, "disabled", Busy);
            builder.AddAttribute(3, "onclick", EventCallback.Factory.Create<MouseEventArgs>(this, () => RunAsync(Work, Success)));
            builder.AddContent(4, "Save");
            builder.CloseElement();
            builder.OpenElement(5, "span");
            builder.AddAttribute(6, "class", "shown");
            builder.AddContent(7, _shown);
            builder.CloseElement();
        }
    }
}
