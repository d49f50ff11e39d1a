using Microsoft.AspNetCore.Components;
using ModelRegistry.Core.Common;
using MudBlazor;

namespace ModelRegistry.Web.Components.Shared;

/// <summary>
/// The base of the dashboard's interactive components that call Core. It holds, once, what each of them used to
/// repeat: a busy flag while a call runs, a token that is cancelled when the component goes away, Core's refusal
/// shown as its message, a success message, and a render when it is over.
/// </summary>
/// <remarks>
/// <para>What <see cref="RunAsync(Func{CancellationToken, Task}, string, Action{RegistryException})"/> does with each
/// way the work can end:</para>
/// <list type="bullet">
/// <item>It completes: the success message, if any, goes to the snackbar — also when the component was disposed
/// meanwhile (a dialog closed by the work itself): the change happened, and the snackbar lives in the layout.</item>
/// <item>It throws a <see cref="RegistryException"/> (Core refused or could not do it: invalid input, forbidden, not
/// found, conflict, <c>version_frozen</c>, <c>digest_mismatch</c> …): its message goes to the snackbar, or to
/// <c>onError</c> when the component shows it itself (an inline alert, or its own words for one typed exception).</item>
/// <item>It is cancelled because the component was disposed, or because a newer <see cref="RunLatestAsync{T}"/>
/// superseded it: nothing is shown, nobody is looking. Core's answer to a cancelled run is dropped the same way.</item>
/// <item>It throws anything else: not caught. Like before this base existed, the exception reaches Blazor, which logs
/// it and ends the circuit; the page shows "Something went wrong" with a reload link (MainLayout's error UI).</item>
/// </list>
/// <para>Blazor disposes a component that implements <see cref="IAsyncDisposable"/> through that interface only: a
/// derived component releases its own resources in <see cref="DisposeAsyncCore"/>, not in an <c>IDisposable</c>.</para>
/// </remarks>
public abstract class RegistryComponentBase : ComponentBase, IAsyncDisposable
{
    // Cancelled, never disposed: runs still in flight read its token after disposal, and it owns no timer or handle.
    private readonly CancellationTokenSource _lifetime = new();
    private CancellationTokenSource? _latest;
    private int _running;

    [Inject] protected ISnackbar Snackbar { get; set; } = default!;

    /// <summary>True while any run of this component is in flight, reads included: bind buttons' <c>Disabled</c> to it.</summary>
    protected bool Busy => _running > 0;

    /// <summary>
    /// Cancelled when the component is disposed: for a Core call made outside a run (a follow-up read that has no
    /// message of its own). Blazor ignores the cancellation of a handler or lifecycle method.
    /// </summary>
    protected CancellationToken DisposalToken => _lifetime.Token;

    /// <summary>
    /// Runs <paramref name="work"/> (a Core call given the component's token) while <see cref="Busy"/>; then shows
    /// <paramref name="success"/>, or Core's refusal (in the snackbar unless <paramref name="onError"/> takes it).
    /// </summary>
    /// <returns>True when the work completed.</returns>
    protected async Task<bool> RunAsync(Func<CancellationToken, Task> work, string? success = null, Action<RegistryException>? onError = null)
    {
        var result = await RunCoreAsync(async ct =>
        {
            await work(ct);
            return true;
        }, success is null ? null : _ => success, onError, _lifetime.Token);
        return result.Succeeded;
    }

    /// <summary>
    /// Like <see cref="RunAsync(Func{CancellationToken, Task}, string, Action{RegistryException})"/> for work that
    /// answers: the success message may depend on the answer, which the caller gets back.
    /// </summary>
    protected Task<RunResult<T>> RunAsync<T>(Func<CancellationToken, Task<T>> work, Func<T, string>? success = null, Action<RegistryException>? onError = null) =>
        RunCoreAsync(work, success, onError, _lifetime.Token);

    /// <summary>
    /// A read whose answer replaces the previous one's (a list following the address as filters and pages change): it
    /// cancels the earlier <c>RunLatestAsync</c> still in flight, whose answer or error is then dropped, so a slow old
    /// read never overwrites a newer one. Assign what it returns only when <see cref="RunResult{T}.Succeeded"/>. A
    /// component has one such stream: each <c>RunLatestAsync</c> supersedes the one before, whatever it read.
    /// </summary>
    protected async Task<RunResult<T>> RunLatestAsync<T>(Func<CancellationToken, Task<T>> work, Action<RegistryException>? onError = null)
    {
        using var source = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.Token);
        var previous = _latest;
        _latest = source;
        previous?.Cancel();
        try
        {
            var result = await RunCoreAsync(work, null, onError, source.Token);
            // Superseded (or disposed) after the work had already answered: the answer is stale all the same.
            return source.IsCancellationRequested ? default : result;
        }
        finally
        {
            if (_latest == source)
            {
                _latest = null;
            }
        }
    }

    private async Task<RunResult<T>> RunCoreAsync<T>(Func<CancellationToken, Task<T>> work, Func<T, string>? success,
        Action<RegistryException>? onError, CancellationToken ct)
    {
        if (ct.IsCancellationRequested)
        {
            return default;
        }

        _running++;
        await RenderAsync();
        try
        {
            var value = await work(ct);
            if (success is not null)
            {
                Snackbar.Add(success(value), Severity.Success);
            }

            return new RunResult<T>(true, value, null);
        }
        catch (Exception e) when (ct.IsCancellationRequested && e is OperationCanceledException or RegistryException)
        {
            // Disposed, or superseded by a newer read: whatever Core answered, the view it was for is gone.
            return default;
        }
        catch (RegistryException e)
        {
            if (onError is null)
            {
                Snackbar.Add(e.Message, Severity.Error);
            }
            else
            {
                onError(e);
            }

            return new RunResult<T>(false, default, e);
        }
        finally
        {
            _running--;
            await RenderAsync();
        }
    }

    // Renders at the start (Busy shows even when the run was not started by a Blazor event) and at the end (Busy
    // clears and the answer shows when nothing else would re-render, e.g. after a JS callback). Through InvokeAsync, so
    // a run continued off the renderer's thread renders on it; on it, this renders at once. A disposed component is not
    // rendered.
    private Task RenderAsync() => _lifetime.IsCancellationRequested ? Task.CompletedTask : InvokeAsync(StateHasChanged);

    /// <summary>Cancels the token every run and <see cref="DisposalToken"/> carry, then lets the component release its own resources.</summary>
    public async ValueTask DisposeAsync()
    {
        _lifetime.Cancel();
        await DisposeAsyncCore();
        GC.SuppressFinalize(this);
    }

    /// <summary>A derived component's own clean-up (JS modules, object references); runs after the token is cancelled.</summary>
    protected virtual ValueTask DisposeAsyncCore() => ValueTask.CompletedTask;
}

/// <summary>How a run ended: <see cref="Succeeded"/> with the work's <see cref="Value"/>, or not, with Core's <see cref="Error"/> when it refused (none when cancelled).</summary>
public readonly record struct RunResult<T>(bool Succeeded, T? Value, RegistryException? Error);
