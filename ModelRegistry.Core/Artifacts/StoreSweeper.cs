using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelRegistry.Core.Artifacts.Storage;

namespace ModelRegistry.Core.Artifacts;

/// <summary>
/// Repeats the start-up sweep of the artifact store while the server runs, for a store that asks for it
/// (<see cref="IArtifactStore.SweepInterval"/>; the S3 store): what an instance that crashed mid-upload left in a shared
/// bucket goes within the interval instead of at the next restart of some instance.
/// </summary>
public sealed class StoreSweeper(IArtifactStore store, ArtifactService artifacts, TimeProvider clock, ILogger<StoreSweeper> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (store.SweepInterval is not { } interval)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    var (removed, _) = await artifacts.RecoverStoreAsync(stoppingToken);
                    if (removed > 0)
                    {
                        logger.StoreSwept(removed);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The store may be down for a while; the next round tries again.
                    logger.StoreSweepFailed(e, interval);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }
}
