using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Webhooks;

namespace ModelRegistry.Web.Hosting;

internal static class BackgroundWorkRegistration
{
    /// <summary>
    /// Work the server does between requests. Webhook deliveries are sent by the server only (the command line queues
    /// them through the outbox); so is the audit chain head (audit.head). The store sweeper removes expired resumable
    /// uploads and repeats the start-up sweep of a store that asks for it (S3).
    /// </summary>
    public static IServiceCollection AddRegistryBackgroundWork(this IServiceCollection services)
    {
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        services.AddHostedService<StoreSweeper>();
        services.AddHostedService<AuditHeadPublisher>();
        services.AddSingleton<WebhookDispatcher>();
        return services;
    }
}
