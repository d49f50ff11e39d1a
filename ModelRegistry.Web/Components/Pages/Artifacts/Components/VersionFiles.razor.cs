using System.Globalization;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.Options;
using Microsoft.JSInterop;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Artifacts.Headers;
using ModelRegistry.Core.Security;
using ModelRegistry.Web.Components.Shared;
using MudBlazor;

namespace ModelRegistry.Web.Components.Pages.Artifacts.Components;

/// <summary>
/// A version's Files tab: the file table, and for people who may upload, a drop zone whose uploads the
/// browser sends straight to the API (see wwwroot/js/uploads.js: one PUT per file, or the resumable tus protocol for
/// files over 64 MiB); this component only shows their progress.
/// </summary>
public sealed partial class VersionFiles
{
    [Parameter, EditorRequired] public string ModelName { get; set; } = "";
    [Parameter, EditorRequired] public int Number { get; set; }

    /// <summary>Raised after files were added or replaced, so the page can show the metadata they filled in.</summary>
    [Parameter] public EventCallback OnFilesChanged { get; set; }

    /// <summary>The version is frozen: its files are shown, never changed.</summary>
    [Parameter] public bool Frozen { get; set; }

    [Inject] private ArtifactService Artifacts { get; set; } = default!;
    [Inject] private IJSRuntime JS { get; set; } = default!;
    [Inject] private AntiforgeryStateProvider AntiforgeryState { get; set; } = default!;
    [Inject] private IOptions<AntiforgeryOptions> AntiforgeryOptions { get; set; } = default!;
    [Inject] private IAuthorizationService Authorization { get; set; } = default!;
    [Inject] private AuthenticationStateProvider AuthState { get; set; } = default!;
    [Inject] private TimeProvider Clock { get; set; } = default!;

    private readonly List<Upload> _uploads = [];
    private readonly string _filesInputId = $"files-{Guid.NewGuid():N}";
    private readonly string _folderInputId = $"folder-{Guid.NewGuid():N}";
    private IReadOnlyList<ArtifactInfo>? _files;
    private string? _error;
    private string? _rejection;
    private string? _loadedFor;
    private bool _mayEdit;

    /// <summary>Only an editor uploads, and nobody to a frozen version (Core refuses it too: 409 version_frozen).</summary>
    private bool CanUpload => _mayEdit && !Frozen;
    private ElementReference _zone;
    private ElementReference _filesInput;
    private ElementReference _folderInput;
    private IJSObjectReference? _module;
    private IJSObjectReference? _uploader;
    private DotNetObjectReference<VersionFiles>? _self;
    private DateTimeOffset? _batchStarted;

    private enum UploadState { Queued, Uploading, Done, Failed, Cancelled }

    private sealed class Upload(int id, string path, long size)
    {
        public int Id { get; } = id;
        public string Path { get; } = path;
        public long Size { get; } = size;
        public long Sent { get; set; }
        public UploadState State { get; set; } = UploadState.Queued;
        public string? Message { get; set; }
        public double Percent => State == UploadState.Done ? 100 : Size == 0 ? 0 : Math.Min(100, 100.0 * Sent / Size);
    }

    /// <summary>What uploads.js reports when files are queued.</summary>
    public sealed record QueuedFile(int Id, string Path, long Size);

    /// <summary>What uploads.js reports while files are sent.</summary>
    public sealed record FileProgress(int Id, long Loaded);

    protected override async Task OnInitializedAsync()
    {
        var state = await AuthState.GetAuthenticationStateAsync();
        _mayEdit = (await Authorization.AuthorizeAsync(state.User, Policies.CanEditModels)).Succeeded;
    }

    protected override async Task OnParametersSetAsync()
    {
        var key = $"{ModelName}/{Number}";
        if (key != _loadedFor)
        {
            _loadedFor = key;
            _files = null;
            await LoadAsync();
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (CanUpload && _uploader is null && RendererInfo.IsInteractive)
        {
            var token = AntiforgeryState.GetAntiforgeryToken();
            if (token is null)
            {
                _rejection = "This page has no antiforgery token; reload it to upload.";
                StateHasChanged();
                return;
            }

            _self = DotNetObjectReference.Create(this);
            _module = await JS.InvokeAsync<IJSObjectReference>("import", "./js/uploads.js");
            _uploader = await _module.InvokeAsync<IJSObjectReference>("attach", _zone, _filesInput, _folderInput, _self, new
            {
                url = $"/api/v1/models/{Uri.EscapeDataString(ModelName)}/versions/{Number}/files",
                // Files over 64 MiB go through the resumable (tus) endpoint, so a dropped connection or a reload resumes.
                uploadsUrl = $"/api/v1/models/{Uri.EscapeDataString(ModelName)}/versions/{Number}/uploads",
                tokenHeader = AntiforgeryOptions.Value.HeaderName ?? "RequestVerificationToken",
                token = token.Value,
            });
        }
    }

    private async Task LoadAsync()
    {
        _error = null;
        await RunAsync(async ct => _files = await Artifacts.ListAsync(ModelName, Number, ct), onError: e => _error = e.Message);
    }

    [JSInvokable]
    public Task OnQueued(QueuedFile[] files)
    {
        if (!Uploading)
        {
            // A new batch: finished rows of the last one make room.
            _uploads.RemoveAll(u => u.State is not (UploadState.Queued or UploadState.Uploading));
            _batchStarted = Clock.GetUtcNow();
        }

        _uploads.AddRange(files.Select(f => new Upload(f.Id, f.Path, f.Size)));
        return InvokeAsync(StateHasChanged);
    }

    [JSInvokable]
    public Task OnProgress(FileProgress[] progress)
    {
        foreach (var p in progress)
        {
            if (_uploads.Find(u => u.Id == p.Id) is { } upload)
            {
                upload.State = UploadState.Uploading;
                upload.Sent = Math.Clamp(p.Loaded, 0, upload.Size);
            }
        }

        return InvokeAsync(StateHasChanged);
    }

    [JSInvokable]
    public async Task OnFinished(int id, int status, string message)
    {
        if (_uploads.Find(u => u.Id == id) is not { } upload)
        {
            return;
        }

        (upload.State, upload.Message) = status switch
        {
            >= 200 and < 300 => (UploadState.Done, null),
            -1 => (UploadState.Cancelled, null),
            _ => (UploadState.Failed, string.IsNullOrWhiteSpace(message) ? $"HTTP {status}" : message),
        };
        if (upload.State == UploadState.Done)
        {
            upload.Sent = upload.Size;
            await LoadAsync();
            await OnFilesChanged.InvokeAsync();
        }

        await InvokeAsync(StateHasChanged);
    }

    [JSInvokable]
    public Task OnRejected(string message)
    {
        _rejection = $"Could not read what was dropped: {message}";
        return InvokeAsync(StateHasChanged);
    }

    private async Task CancelAsync(Upload upload)
    {
        if (_uploader is not null)
        {
            await _uploader.InvokeVoidAsync("cancel", upload.Id);
        }
    }

    private async Task CancelAllAsync()
    {
        if (_uploader is not null)
        {
            await _uploader.InvokeVoidAsync("cancelAll");
        }
    }

    private void ClearFinished() => _uploads.RemoveAll(u => u.State is not (UploadState.Queued or UploadState.Uploading));

    /// <summary>Files of the current batch are still queued or on their way (the browser sends them, not a run of this component).</summary>
    private bool Uploading => _uploads.Any(u => u.State is UploadState.Queued or UploadState.Uploading);
    private int Finished => _uploads.Count(u => u.State == UploadState.Done);
    private int Failed => _uploads.Count(u => u.State == UploadState.Failed);
    private long TotalBytes => _uploads.Where(u => u.State != UploadState.Cancelled).Sum(u => u.Size);
    private long SentBytes => _uploads.Where(u => u.State != UploadState.Cancelled).Sum(u => u.State == UploadState.Done ? u.Size : u.Sent);
    private double OverallPercent => TotalBytes == 0 ? (Uploading ? 0 : 100) : 100.0 * SentBytes / TotalBytes;

    private string Headline
    {
        get
        {
            var counted = _uploads.Count(u => u.State != UploadState.Cancelled);
            var failed = Failed > 0 ? $", {Failed} failed" : "";
            return Uploading ? $"Uploading {Finished} of {counted} files{failed}" : $"Uploaded {Finished} of {counted} files{failed}";
        }
    }

    private string RateText
    {
        get
        {
            if (!Uploading || _batchStarted is not { } started)
            {
                return "";
            }

            var seconds = (Clock.GetUtcNow() - started).TotalSeconds;
            return seconds < 1 ? "" : $" · {Format.Bytes((long)(SentBytes / seconds))}/s";
        }
    }

    private static string StatusText(Upload u) => u.State switch
    {
        UploadState.Queued => "Waiting",
        UploadState.Uploading => u.Sent >= u.Size ? "Checking…" : $"{u.Percent:0}% of {Format.Bytes(u.Size)}",
        UploadState.Done => $"Done · {Format.Bytes(u.Size)}",
        UploadState.Cancelled => "Cancelled",
        _ => u.Message ?? "Failed",
    };

    private static string StateIcon(Upload u) => u.State switch
    {
        UploadState.Done => Icons.Material.Filled.CheckCircle,
        UploadState.Failed => Icons.Material.Filled.Error,
        UploadState.Cancelled => Icons.Material.Outlined.Block,
        UploadState.Uploading => Icons.Material.Outlined.CloudUpload,
        _ => Icons.Material.Outlined.Schedule,
    };

    private static Color StateColor(Upload u) => u.State switch
    {
        UploadState.Done => Color.Success,
        UploadState.Failed => Color.Error,
        UploadState.Cancelled => Color.Default,
        _ => Color.Primary,
    };

    private static string KindIcon(ArtifactInfo a) => a.Kind switch
    {
        ArtifactKind.Safetensors or ArtifactKind.Gguf or ArtifactKind.Onnx => Icons.Material.Outlined.Memory,
        ArtifactKind.ModelConfig => Icons.Material.Outlined.Settings,
        ArtifactKind.Pickle => Icons.Material.Outlined.GppMaybe,
        _ => Icons.Material.Outlined.InsertDriveFile,
    };

    /// <summary>The header facts worth a glance, as short chips.</summary>
    private static IEnumerable<string> Facts(HeaderFacts? h)
    {
        if (h is null)
        {
            yield break;
        }

        if (h.Architecture is { } arch)
        {
            yield return arch;
        }

        if (h.ParameterCount is { } p)
        {
            yield return $"{Format.Parameters(p)} params";
        }

        if (h.Quantization is { } q)
        {
            yield return q;
        }

        if (h.ContextLength is { } c)
        {
            yield return $"{c.ToString("N0", CultureInfo.InvariantCulture)} ctx";
        }

        if (h.TensorCount is { } t)
        {
            yield return $"{t.ToString("N0", CultureInfo.InvariantCulture)} tensors";
        }

        if (h.HasChatTemplate == true)
        {
            yield return "chat template";
        }
    }

    private async Task CopyAsync(string sha256)
    {
        var copied = await JS.InvokeAsync<bool>("registry.copyText", sha256);
        Snackbar.Add(copied ? "SHA-256 copied" : $"Copy it by hand: {sha256}", copied ? Severity.Success : Severity.Info);
    }

    /// <summary>The configured limit in binary units, as it is configured (200 GiB, not "214.7 GB").</summary>
    private string MaxFileSize
    {
        get
        {
            var max = Artifacts.MaxFileBytes;
            const long gib = 1L << 30, mib = 1L << 20;
            return max % gib == 0 ? $"{max / gib} GiB" : max % mib == 0 ? $"{max / mib} MiB" : Format.Bytes(max);
        }
    }

    private readonly HashSet<string> _collapsed = new(StringComparer.Ordinal);

    /// <summary>The files as a tree: folders (collapsible, with their size in all) and files, each level by name.</summary>
    private IReadOnlyList<FileRow> Rows => FileTree.Rows(_files ?? [], _collapsed);

    private void ToggleFolder(string path)
    {
        if (!_collapsed.Remove(path))
        {
            _collapsed.Add(path);
        }
    }

    private static string Indent(FileRow row) => $"width: {row.Depth * 20}px";

    /// <summary>Weight files whose header the viewer reads (a header that failed at upload shows its problem there too).</summary>
    internal static bool HasHeaderView(ArtifactInfo a) => a.Kind is ArtifactKind.Safetensors or ArtifactKind.Gguf;

    private string HeaderUrl(ArtifactInfo a) =>
        $"/models/{Uri.EscapeDataString(ModelName)}/versions/{Number}/files/{string.Join('/', a.Path.Split('/').Select(Uri.EscapeDataString))}";

    private string DownloadUrl(ArtifactInfo a) =>
        $"/api/v1/models/{Uri.EscapeDataString(ModelName)}/versions/{Number}/files/{string.Join('/', a.Path.Split('/').Select(Uri.EscapeDataString))}";

    protected override async ValueTask DisposeAsyncCore()
    {
        try
        {
            if (_uploader is not null)
            {
                await _uploader.InvokeVoidAsync("dispose");
                await _uploader.DisposeAsync();
            }

            if (_module is not null)
            {
                await _module.DisposeAsync();
            }
        }
        catch (JSDisconnectedException)
        {
            // The circuit is gone, and the page with it.
        }
        finally
        {
            await base.DisposeAsyncCore();
        }

        _self?.Dispose();
    }
}
