using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ModelRegistry.Core.Aliases;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Comparison;
using ModelRegistry.Core.Compliance;
using ModelRegistry.Core.Demo;
using ModelRegistry.Core.Deployments;
using ModelRegistry.Core.Evaluation;
using ModelRegistry.Core.Hub;
using ModelRegistry.Core.Identity;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Lineage;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Notifications;
using ModelRegistry.Core.Operations;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Signing;
using ModelRegistry.Core.Teams;
using ModelRegistry.Core.Versions;
using ModelRegistry.Core.Webhooks;

namespace ModelRegistry.Core;

public static class DependencyInjection
{
    /// <summary>
    /// Registers the registry's domain: options, database, Identity stores and the services, one line per feature
    /// folder (its <c>…Registration.cs</c>). Services are singletons that make a DbContext per operation unless their
    /// registration says otherwise.
    /// </summary>
    public static IHostApplicationBuilder AddModelRegistryCore(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<RegistryOptions>().BindConfiguration(RegistryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddTimeProvider();

        services.AddPersistence();    // before Security: Identity's stores use the context registered here
        services.AddSecurity();
        services.AddModels();
        services.AddTeams();
        services.AddSingleSignOn();
        services.AddVersions();
        services.AddAliases();
        services.AddArtifacts();
        services.AddCards();
        services.AddEvaluation();
        services.AddComparison();
        services.AddLifecycle();      // also the policy gates of Artifacts, Cards and Evaluation, in their order
        services.AddSigning();
        services.AddDeployments();
        services.AddLineage();
        services.AddAudit();
        services.AddNotifications();
        services.AddCompliance();
        services.AddHub();
        services.AddWebhooks();
        services.AddOperations();
        services.AddDemo();
        return builder;
    }

    private static void TryAddTimeProvider(this IServiceCollection services)
    {
        if (!services.Any(d => d.ServiceType == typeof(TimeProvider)))
        {
            services.AddSingleton(TimeProvider.System);
        }
    }
}
