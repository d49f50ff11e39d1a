using Microsoft.Extensions.DependencyInjection;

namespace ModelRegistry.Core.Evaluation;

internal static class EvaluationRegistration
{
    /// <summary>Evaluation results.</summary>
    internal static IServiceCollection AddEvaluation(this IServiceCollection services)
    {
        services.AddSingleton<EvaluationService>();
        return services;
    }
}
