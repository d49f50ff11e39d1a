using System.Security.Claims;
using ModelRegistry.Core.Evaluation;
using ModelRegistry.Core.Versions;
using ModelRegistry.Web.Security;

namespace ModelRegistry.Web.Api;

/// <summary>A version's evaluation results, and a model's metrics across its versions.</summary>
internal static class MetricsApi
{
    public static void MapMetrics(this RouteGroupBuilder api)
    {
        var metrics = api.MapGroup("/models/{name}/versions/{number:int}/metrics").WithTags("Evaluation");

        // Reads take a version reference (an alias, latest, a commit …); recording takes a number.
        api.MapGet("/models/{name}/versions/{number}/metrics", async (string name, string number, VersionReferences references,
                EvaluationService evaluations, CancellationToken ct) =>
            await evaluations.ListAsync(name, await references.ResolveAsync(name, number, ct), ct))
            .WithTags("Evaluation");

        metrics.MapPost("/", async (string name, int number, List<MetricInput>? body, EvaluationService evaluations,
            ClaimsPrincipal user, CancellationToken ct) =>
        {
            var recorded = await evaluations.RecordAsync(user.ToActor(), name, number, body, EvaluationSource.Api, ct);
            return TypedResults.Created($"/api/v1/models/{Uri.EscapeDataString(name)}/versions/{number}/metrics", recorded);
        });

        api.MapGet("/models/{name}/metrics", (string name, EvaluationService evaluations, CancellationToken ct) =>
            evaluations.ModelMetricsAsync(name, ct)).WithTags("Evaluation");
    }
}
