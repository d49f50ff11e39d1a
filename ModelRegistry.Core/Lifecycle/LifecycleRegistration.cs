using Microsoft.Extensions.DependencyInjection;

namespace ModelRegistry.Core.Lifecycle;

internal static class LifecycleRegistration
{
    /// <summary>The lifecycle policy and its gates, transition requests and approvals, stage history.</summary>
    internal static IServiceCollection AddLifecycle(this IServiceCollection services)
    {
        services.AddOptions<LifecyclePolicyOptions>().BindConfiguration(LifecyclePolicyOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        // Policy gates (ILifecycleGate), each beside the feature whose data it checks. Registered here, together and in
        // this order: it is the order in which they are evaluated and listed.
        services.AddSingleton<ILifecycleGate, Artifacts.ArtifactGate>();
        services.AddSingleton<ILifecycleGate, Cards.ModelCardGate>();
        services.AddSingleton<ILifecycleGate, Evaluation.EvaluationGate>();
        services.AddSingleton<LifecycleGates>();
        services.AddSingleton<LifecycleQueries>();
        services.AddSingleton<LifecycleService>();
        services.AddSingleton<StageTimelineService>();
        return services;
    }
}
