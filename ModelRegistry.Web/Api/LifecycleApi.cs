using System.Security.Claims;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Web.Security;

namespace ModelRegistry.Web.Api;

/// <summary>Transition requests, their decisions and discussion, and "which version is in this stage" (docs/design.md, "REST API").</summary>
internal static class LifecycleApi
{
    /// <summary>A request to move a version: the target stage and a justification.</summary>
    public sealed record TransitionBody(string? ToStage, string? Comment = null);

    /// <summary>A decision's comment (optional to approve, required to reject).</summary>
    /// <param name="Digest">The version digest the reviewer saw; when given and no longer the version's, 409 digest_mismatch.</param>
    public sealed record DecisionBody(string? Comment = null, string? Digest = null);

    /// <summary>A message in a request's discussion.</summary>
    public sealed record CommentBody(string? Text);

    public static void MapLifecycle(this RouteGroupBuilder api)
    {
        api.MapPost("/models/{name}/versions/{number:int}/transitions", async (string name, int number, TransitionBody? body,
                LifecycleService service, ClaimsPrincipal user, CancellationToken ct) =>
            {
                var toStage = ParseStage(body?.ToStage, "toStage", required: true)!.Value;
                var created = await service.RequestAsync(user.ToActor(), name, number, toStage, body?.Comment, ct);
                return TypedResults.Created($"/api/v1/transitions/{created.Id}", created);
            })
            .WithTags("Transitions")
            .WithName("requestTransition")
            .WithSummary("Requests a stage transition for a version")
            .WithDescription("409 when the version is already in that stage, a request is open, or a gate fails (unmetGates).")
            .Changes()
            .TakesJson();

        // ?at=2026-03-01T00:00:00Z answers from the stage history: which version held the stage then.
        api.MapGet("/models/{name}/stages/{stage}", async (string name, string stage, string? at, LifecycleQueries service, CancellationToken ct) =>
                TypedResults.Ok(ModelRegistry.Core.Common.Input.Time("at", at) is { } moment
                    ? await service.FindInStageAtAsync(name, ParseStage(stage, "stage", required: true)!.Value, moment, ct)
                    : await service.FindInStageAsync(name, ParseStage(stage, "stage", required: true)!.Value, ct)))
            .WithTags("Transitions")
            .WithName("getStageVersion")
            .WithSummary("Reads the version in a stage")
            .WithDescription("The version now in Production (at most one) or the newest in another stage; with at (ISO-8601), "
                + "the version that held the stage then. 404 when none.")
            .Problems(StatusCodes.Status404NotFound);

        var transitions = api.MapGroup("/transitions").WithTags("Transitions");

        transitions.MapGet("/", async (string? status, string? model, int? page, int? pageSize, LifecycleQueries service, CancellationToken ct) =>
                TypedResults.Ok(await service.ListAsync(new TransitionQuery(ParseStatus(status), Model: model, Page: page, PageSize: pageSize), ct)))
            .WithName("listTransitions")
            .WithSummary("Lists transition requests")
            .WithDescription("Newest first.")
            .ParameterValues("status", Enum.GetNames<TransitionStatus>());

        transitions.MapGet("/{id:long}", async (long id, LifecycleQueries service, CancellationToken ct) => TypedResults.Ok(await service.GetAsync(id, ct)))
            .WithName("getTransition")
            .WithSummary("Reads a transition request")
            .WithDescription("With its approvals, comments, gate status (while pending) and staleReason.")
            .Problems(StatusCodes.Status404NotFound);

        transitions.MapPost("/{id:long}/approve", async (long id, DecisionBody? body, LifecycleService service, ClaimsPrincipal user,
                CancellationToken ct) => TypedResults.Ok(await service.ApproveAsync(user.ToActor(), id, body?.Comment, body?.Digest, ct)))
            .WithName("approveTransition")
            .WithSummary("Approves a transition request")
            .WithDescription("Reviewer or Admin, never the requester (403). 409 when decided, stale, a gate now fails, or (digest_mismatch) "
                + "digest is not the version's digest now. The final approval freezes the version.")
            .Changes()
            .TakesJson();

        transitions.MapPost("/{id:long}/reject", async (long id, DecisionBody? body, LifecycleService service, ClaimsPrincipal user,
                CancellationToken ct) => TypedResults.Ok(await service.RejectAsync(user.ToActor(), id, body?.Comment, ct)))
            .WithName("rejectTransition")
            .WithSummary("Rejects a transition request")
            .WithDescription("Reviewer or Admin, never the requester; the comment is required.")
            .Changes()
            .TakesJson();

        transitions.MapPost("/{id:long}/cancel", async (long id, LifecycleService service, ClaimsPrincipal user, CancellationToken ct) =>
                TypedResults.Ok(await service.CancelAsync(user.ToActor(), id, ct)))
            .WithName("cancelTransition")
            .WithSummary("Cancels a transition request")
            .WithDescription("The requester or an Admin, while it is pending.")
            .Changes();

        transitions.MapPost("/{id:long}/comments", async (long id, CommentBody? body, LifecycleService service, ClaimsPrincipal user,
                CancellationToken ct) =>
            {
                var comment = await service.CommentAsync(user.ToActor(), id, body?.Text, ct);
                return TypedResults.Created($"/api/v1/transitions/{id}", comment);
            })
            .WithName("addTransitionComment")
            .WithSummary("Comments on a transition request")
            .WithDescription("DataScientist, Reviewer or Admin, while it is pending.")
            .Changes()
            .TakesJson();
    }

    internal static Stage? ParseStage(string? value, string field, bool required)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return required ? throw ValidationFailedException.For(field, $"{field} is required: one of {string.Join(", ", Enum.GetNames<Stage>())}.") : null;
        }

        return ApiExtensions.TryParseName<Stage>(value, out var stage)
            ? stage
            : throw ValidationFailedException.For(field, $"'{value}' is not a stage; {field} must be one of {string.Join(", ", Enum.GetNames<Stage>())}.");
    }

    private static TransitionStatus? ParseStatus(string? value) =>
        string.IsNullOrWhiteSpace(value) ? null
        : ApiExtensions.TryParseName<TransitionStatus>(value, out var status) ? status
        : throw ValidationFailedException.For("status", $"status must be one of {string.Join(", ", Enum.GetNames<TransitionStatus>())}.");
}
