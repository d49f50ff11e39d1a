using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Audit;

namespace ModelRegistry.Core.Webhooks;

internal static class WebhooksRegistration
{
    /// <summary>Subscriptions, the outbox (an audit observer) and the HTTP client deliveries use; the server adds the dispatcher itself.</summary>
    internal static IServiceCollection AddWebhooks(this IServiceCollection services)
    {
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section);
        services.AddSingleton<WebhookSignal>();
        services.AddSingleton<WebhookService>();
        services.AddSingleton<WebhookOutbox>();
        services.AddSingleton<IAuditObserver>(sp => sp.GetRequiredService<WebhookOutbox>());
        services.AddSingleton<IWebhookHostResolver, DnsHostResolver>();
        services.AddHttpClient(WebhookDispatcher.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => WebhookDispatcher.CreateHandler(
                sp.GetRequiredService<IOptionsMonitor<WebhookOptions>>(), sp.GetRequiredService<IWebhookHostResolver>()));
        return services;
    }
}
