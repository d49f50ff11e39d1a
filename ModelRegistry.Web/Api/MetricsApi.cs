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
                TypedResults.Ok(await evaluations.ListAsync(name, await references.ResolveAsync(name, number, ct), ct)))
            .WithTags("Evaluation")
            .WithName("listMetrics")
            .WithSummary("Lists the version's evaluation results")
            .WithDescription("By metric name, then newest first; afterApproval is true for a result recorded after the version was frozen.")
            .ReadsVersionReference();

        metrics.MapPost("/", async (string name, int number, List<MetricInput>? body, EvaluationService evaluations,
                ClaimsPrincipal user, CancellationToken ct) =>
            {
                var recorded = await evaluations.RecordAsync(user.ToActor(), name, number, body, EvaluationSource.Api, ct);
                return TypedResults.Created($"/api/v1/models/{Uri.EscapeDataString(name)}/versions/{number}/metrics", recorded);
            })
            .WithName("recordMetrics")
            .WithSummary("Records evaluation results for the version")
            .WithDescription("All or nothing: one bad entry (empty name, missing, NaN or infinite value) is 400 and nothing is kept.")
            .Changes()
            .TakesJson();

        // Corrections take a number too; on a frozen version they are refused (409 version_frozen).
        metrics.MapPut("/{id:long}", async (string name, int number, long id, MetricInput? body, EvaluationService evaluations,
                ClaimsPrincipal user, CancellationToken ct) =>
                TypedResults.Ok(await evaluations.CorrectAsync(user.ToActor(), name, number, id, body, ct)))
            .WithName("updateMetric")
            .WithSummary("Corrects an evaluation result of a version that is not frozen")
            .WithDescription("Replaces every field of the result (validated as when recording), audited with before and after. " +
                "DataScientist, Admin. 409 on a frozen version (version_frozen) or for a result imported from the card's model-index.")
            .Changes()
            .TakesJson();

        metrics.MapDelete("/{id:long}", async (string name, int number, long id, EvaluationService evaluations,
                ClaimsPrincipal user, CancellationToken ct) =>
            {
                await evaluations.RemoveAsync(user.ToActor(), name, number, id, ct);
                return TypedResults.NoContent();
            })
            .WithName("removeMetric")
            .WithSummary("Removes an evaluation result of a version that is not frozen")
            .WithDescription("Audited with the result as it was. DataScientist, Admin. Refused like a correction.")
            .Changes();

        api.MapGet("/models/{name}/metrics", async (string name, EvaluationService evaluations, CancellationToken ct) =>
                TypedResults.Ok(await evaluations.ModelMetricsAsync(name, ct)))
            .WithTags("Evaluation")
            .WithName("getModelMetrics")
            .WithSummary("Reads each metric across the model's versions")
            .Problems(StatusCodes.Status404NotFound);
    }
}
