using Microsoft.AspNetCore.Components;
using ModelRegistry.Core.Lifecycle;
using MudBlazor;

namespace ModelRegistry.Web.Components.Pages.Lifecycle.Components;

/// <summary>The version page's Lifecycle tab (markup in LifecycleTab.razor).</summary>
public partial class LifecycleTab
{
    [Parameter, EditorRequired] public string ModelName { get; set; } = "";
    [Parameter, EditorRequired] public int Number { get; set; }

    /// <summary>Called after anything here changed the version (its stage, its requests).</summary>
    [Parameter] public EventCallback OnChanged { get; set; }

    private VersionLifecycle? _lifecycle;
    private string? _error;

    protected override Task OnParametersSetAsync() => LoadAsync();

    private async Task LoadAsync()
    {
        _error = null;
        await RunAsync(async ct => _lifecycle = await Lifecycle.GetVersionLifecycleAsync(ModelName, Number, ct), onError: e => _error = e.Message);
    }

    private async Task OnRequestChangedAsync(TransitionRequestInfo _)
    {
        await LoadAsync();
        await OnChanged.InvokeAsync();
    }

    private async Task OpenRequestDialogAsync()
    {
        var parameters = new DialogParameters<RequestTransitionDialog>
        {
            { d => d.ModelName, ModelName },
            { d => d.Number, Number },
            { d => d.CurrentStage, _lifecycle!.Stage },
        };
        var dialog = await Dialogs.ShowAsync<RequestTransitionDialog>("Request transition", parameters,
            new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true, CloseOnEscapeKey = true });
        var result = await dialog.Result;
        if (result is { Canceled: false })
        {
            await OnRequestChangedAsync(null!);
        }
    }
}
