using Microsoft.Extensions.DependencyInjection;

namespace ModelRegistry.Core.Notifications;

internal static class NotificationsRegistration
{
    /// <summary>The bell in the app bar.</summary>
    internal static IServiceCollection AddNotifications(this IServiceCollection services)
    {
        services.AddSingleton<NotificationService>();
        return services;
    }
}
