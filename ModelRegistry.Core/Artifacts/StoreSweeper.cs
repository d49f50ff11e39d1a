using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelRegistry.Core.Artifacts.Storage;
using ModelRegistry.Core.Artifacts.Uploads;

namespace ModelRegistry.Core.Artifacts;

/// <summary>
/// The artifact store's housekeeping while the server runs: resumable uploads that expired
/// (<c>Registry:Artifacts:UploadExpiryHours</c> without a byte) go every <see cref="ResumableUploadService.SweepInterval"/>;
/// and for a store that asks for it (<see cref="IArtifactStore.SweepInterval"/>; the S3 store) the start-up sweep repeats,
/// so what an instance that crashed mid-upload left in a shared bucket goes within the interval instead of at the next
/// restart of some instance.
/// </summary>
public sealed class StoreSweeper(IArtifactStore store, ArtifactService artifacts, ResumableUploadService uploads, TimeProvider clock,
    ILogger<StoreSweeper> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.WhenAll(
        store.SweepInterval is { } interval
            ? RepeatAsync(interval, "the artifact store", async ct =>
            {
                var (removed, _) = await artifacts.RecoverStoreAsync(ct);
                if (removed > 0)
                {
                    logger.StoreSwept(removed);
                }
            }, stoppingToken)
            : Task.CompletedTask,
        RepeatAsync(uploads.SweepInterval, "expired resumable uploads", async ct => await uploads.SweepExpiredAsync(ct), stoppingToken));

    private async Task RepeatAsync(TimeSpan interval, string what, Func<CancellationToken, Task> sweep, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await sweep(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The store or the database may be down for a while; the next round tries again.
                    logger.SweepFailed(e, what, interval);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }
}
