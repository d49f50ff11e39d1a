using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ModelRegistry.Core.Artifacts.Storage;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Persistence;

namespace ModelRegistry.Web.Hosting;

internal static class HealthCheckRegistration
{
    /// <summary>The database and the artifact store, answered at /healthz.</summary>
    public static IServiceCollection AddRegistryHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks()
            // A real round trip: opening a pooled connection proves nothing once the database host has gone.
            .AddDbContextCheck<RegistryDbContext>("database", customTestQuery: async (db, ct) =>
            {
                await db.Database.ExecuteSqlRawAsync("SELECT 1", ct);
                return true;
            })
            .AddCheck<ArtifactStoreHealthCheck>("artifact-store");
        return services;
    }

    /// <summary>/healthz, without sign-in: each check's status and description as JSON.</summary>
    public static WebApplication MapRegistryHealthChecks(this WebApplication app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { ResponseWriter = WriteHealthAsync }).AllowAnonymous();
        return app;
    }

    private static Task WriteHealthAsync(HttpContext context, HealthReport report) =>
        context.Response.WriteAsJsonAsync(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), e.Value.Description }),
        });
}

/// <summary>The artifact store is healthy when the store says it can be used (directory writable; bucket reachable).</summary>
internal sealed class ArtifactStoreHealthCheck(IArtifactStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            // A load balancer's probe must not hang on a store that does not answer.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await store.CheckAsync(timeout.Token);
            return HealthCheckResult.Healthy(store is FileSystemArtifactStore ? "writable" : "reachable");
        }
        catch (ArtifactStoreUnavailableException e)
        {
            return HealthCheckResult.Unhealthy(e.Message);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("The artifact store did not answer within 10 seconds.");
        }
    }
}
