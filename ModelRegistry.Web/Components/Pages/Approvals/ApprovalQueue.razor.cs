using Microsoft.AspNetCore.Components;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Web.Components.Pages.Approvals.Components;
using ModelRegistry.Web.Components.Shared;
using MudBlazor;

namespace ModelRegistry.Web.Components.Pages.Approvals;

/// <summary>/approvals: the pending queue reviewers decide from, and decided requests to browse; its state lives in the URL.</summary>
public partial class ApprovalQueue
{
    private const int PageSize = 25;

    [SupplyParameterFromQuery(Name = "view")] public string? ViewParameter { get; set; }
    [SupplyParameterFromQuery(Name = "status")] public string? Status { get; set; }
    [SupplyParameterFromQuery(Name = "model")] public string? Model { get; set; }
    [SupplyParameterFromQuery(Name = "page")] public string? Page { get; set; }

    private Actor? _actor;
    private PagedResult<TransitionRequestInfo>? _result;
    private int? _pendingTotal;
    private string? _error;

    private string View => ViewParameter == "decided" ? "decided" : "pending";
    private int CurrentPage => QueryValues.Page(Page);
    private int PageCount => _result is null ? 0 : (int)Math.Ceiling(_result.Total / (double)PageSize);
    private string EmptyTitle => View == "pending" ? "Nothing waiting for review" : "No decided requests yet";

    protected override async Task OnParametersSetAsync()
    {
        _actor ??= await CurrentActor.GetAsync();
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        _error = null;
        TransitionStatus? status = Enum.TryParse<TransitionStatus>(Status, true, out var s) && s != TransitionStatus.Pending ? s : null;
        var model = string.IsNullOrWhiteSpace(Model) ? null : Model.Trim();
        var loaded = await RunLatestAsync(async ct =>
        {
            var result = View == "pending"
                ? await Lifecycle.ListAsync(new TransitionQuery(TransitionStatus.Pending, Model: model, Page: CurrentPage, PageSize: PageSize), ct)
                : await Lifecycle.ListAsync(new TransitionQuery(status, DecidedOnly: true, Model: model, Page: CurrentPage, PageSize: PageSize), ct);
            var pendingTotal = View == "pending" && model is null
                ? result.Total
                : (await Lifecycle.ListAsync(new TransitionQuery(TransitionStatus.Pending, PageSize: 1), ct)).Total;
            return (result, pendingTotal);
        }, onError: e => _error = e.Message);
        if (loaded.Succeeded)
        {
            (_result, _pendingTotal) = loaded.Value;
        }
    }

    /// <summary>How long a request has waited: "just now", "waiting 3 hours".</summary>
    private string Age(DateTimeOffset at)
    {
        var ago = Format.Ago(at, Clock.GetUtcNow());
        return ago.EndsWith(" ago", StringComparison.Ordinal) ? "waiting " + ago[..^4] : ago;
    }

    private async Task ReviewAsync(TransitionRequestInfo request)
    {
        var parameters = new DialogParameters<ReviewDialog> { { d => d.RequestId, request.Id } };
        var dialog = await Dialogs.ShowAsync<ReviewDialog>($"Review request {request.Id}", parameters,
            new DialogOptions { MaxWidth = MaxWidth.Medium, FullWidth = true, CloseOnEscapeKey = true });
        if (await dialog.Result is { Canceled: false })
        {
            await LoadAsync();
        }
    }

    private void OnTabChanged(int index) => Go(new() { ["view"] = index == 1 ? "decided" : null, ["status"] = null, ["page"] = null });
    private void OnStatusChanged(string? status) => Go(new() { ["status"] = string.IsNullOrEmpty(status) ? null : status, ["page"] = null });
    private void OnModelChanged(string? model) => Go(new() { ["model"] = string.IsNullOrWhiteSpace(model) ? null : model.Trim(), ["page"] = null });
    private void OnPageChanged(int page) => Go(new() { ["page"] = page == 1 ? null : page });

    // The queue's state lives in the URL, so a link reproduces the view.
    private void Go(Dictionary<string, object?> changes) => Navigation.NavigateTo(Navigation.GetUriWithQueryParameters(changes));
}
