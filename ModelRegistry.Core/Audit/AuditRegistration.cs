using Microsoft.Extensions.DependencyInjection;

namespace ModelRegistry.Core.Audit;

internal static class AuditRegistration
{
    /// <summary>The hash-chained audit trail, the audit log and activity lists.</summary>
    internal static IServiceCollection AddAudit(this IServiceCollection services)
    {
        services.AddSingleton<AuditTrail>();
        services.AddSingleton<ActivityService>();
        services.AddSingleton<AuditLogService>();
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        return services;
    }
}
