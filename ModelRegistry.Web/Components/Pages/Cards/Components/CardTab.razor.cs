using Microsoft.AspNetCore.Components;
using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Versions;
using ModelRegistry.Web.Security;
using MudBlazor;

namespace ModelRegistry.Web.Components.Pages.Cards.Components;

public sealed partial class CardTab
{
    [Inject] private CardService Cards { get; set; } = default!;
    [Inject] private CurrentActor CurrentActor { get; set; } = default!;
    [Inject] private TimeProvider Clock { get; set; } = default!;

    [Parameter, EditorRequired] public VersionInfo Version { get; set; } = default!;
    [Parameter] public string? DisplayName { get; set; }

    /// <summary>Raised after a save, so the page can refresh what the save changed (evaluation results, activity).</summary>
    [Parameter] public EventCallback OnSaved { get; set; }

    private bool _loading = true;
    private string? _loadError;
    private ModelCard? _card;
    private ModelCard? _shown;
    private IReadOnlyList<CardRevisionInfo> _revisions = [];
    private CardMetadata _metadata = CardMetadata.None;
    private IReadOnlyList<string> _missing = [];
    private bool _editing;
    private string _draft = "";
    private string? _saveError;
    private int _from;
    private int _to;
    private CardDiff? _diff;
    private (string, int)? _loadedFor;

    protected override async Task OnParametersSetAsync()
    {
        if (_loadedFor == (Version.ModelName, Version.Number))
        {
            return;
        }

        _loadedFor = (Version.ModelName, Version.Number);
        _editing = false;
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        _loading = true;
        _loadError = null;
        await RunAsync(async ct =>
        {
            _card = await Cards.GetAsync(Version.ModelName, Version.Number, ct: ct);
            _revisions = await Cards.ListRevisionsAsync(Version.ModelName, Version.Number, ct);
            Show(_card);
            if (_revisions.Count > 1)
            {
                _to = _revisions[0].Revision;
                _from = _revisions[1].Revision;
                await DiffAsync();
            }
        }, onError: e => _loadError = e.Message);
        _loading = false;
    }

    private void Show(ModelCard? card)
    {
        _shown = card;
        var markdown = card?.Markdown ?? "";
        _metadata = CardFrontMatter.Parse(markdown);
        _missing = card is null ? [] : CardSections.Missing(markdown);
    }

    private async Task ShowRevisionAsync(int revision) =>
        await RunAsync(async ct => Show(await Cards.GetAsync(Version.ModelName, Version.Number, revision, ct)));

    private Task ShowCurrentAsync()
    {
        Show(_card);
        return Task.CompletedTask;
    }

    private void StartFromTemplate() => Edit(CardTemplate.For(Version, DisplayName));

    private void Edit(string markdown)
    {
        _draft = markdown;
        _saveError = null;
        _editing = true;
    }

    private void CancelEdit() => _editing = false;

    private async Task SaveAsync(CardDraft draft)
    {
        _saveError = null;
        await RunAsync(async ct =>
        {
            var saved = await Cards.SaveAsync(await CurrentActor.GetAsync(), Version.ModelName, Version.Number, draft.Markdown, draft.Comment, ct);
            _editing = false;
            var imported = saved.MetricsImported + saved.MetricsUpdated;
            Snackbar.Add($"Saved revision {saved.Revision.Revision}" + (imported > 0 ? $"; {imported} result{(imported == 1 ? "" : "s")} from model-index recorded" : "") + ".",
                Severity.Success);
            if (saved.Metadata.Problems.Count > 0)
            {
                Snackbar.Add("Saved, but the front matter has problems: see the metadata panel.", Severity.Warning);
            }

            await LoadAsync();
            await OnSaved.InvokeAsync();
        }, onError: e => _saveError = e.Message);
    }

    private async Task OnFromChangedAsync(int from)
    {
        _from = from;
        await DiffAsync();
    }

    private async Task OnToChangedAsync(int to)
    {
        _to = to;
        await DiffAsync();
    }

    private async Task DiffAsync() =>
        await RunAsync(async ct => _diff = await Cards.DiffAsync(Version.ModelName, Version.Number, _from, _to, ct));
}
