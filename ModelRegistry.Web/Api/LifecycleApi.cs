using System.Security.Claims;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Web.Security;

namespace ModelRegistry.Web.Api;

/// <summary>Transition requests, their decisions and discussion, and "which version is in this stage" (docs/design.md, "REST API").</summary>
internal static class LifecycleApi
{
    /// <summary>A request to move a version: the target stage and a justification.</summary>
    public sealed record TransitionBody(string? ToStage, string? Comment);

    /// <summary>A decision's comment (optional to approve, required to reject).</summary>
    /// <param name="Digest">The version digest the reviewer saw; when given and no longer the version's, 409 digest_mismatch.</param>
    public sealed record DecisionBody(string? Comment, string? Digest = null);

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
            .WithTags("Transitions");

        // ?at=2026-03-01T00:00:00Z answers from the stage history: which version held the stage then.
        api.MapGet("/models/{name}/stages/{stage}", (string name, string stage, string? at, LifecycleQueries service, CancellationToken ct) =>
                ModelRegistry.Core.Common.Input.Time("at", at) is { } moment
                    ? service.FindInStageAtAsync(name, ParseStage(stage, "stage", required: true)!.Value, moment, ct)
                    : service.FindInStageAsync(name, ParseStage(stage, "stage", required: true)!.Value, ct))
            .WithTags("Transitions");

        var transitions = api.MapGroup("/transitions").WithTags("Transitions");

        transitions.MapGet("/", (string? status, string? model, int? page, int? pageSize, LifecycleQueries service, CancellationToken ct) =>
            service.ListAsync(new TransitionQuery(ParseStatus(status), Model: model, Page: page, PageSize: pageSize), ct));

        transitions.MapGet("/{id:long}", (long id, LifecycleQueries service, CancellationToken ct) => service.GetAsync(id, ct));

        transitions.MapPost("/{id:long}/approve", (long id, DecisionBody? body, LifecycleService service, ClaimsPrincipal user,
            CancellationToken ct) => service.ApproveAsync(user.ToActor(), id, body?.Comment, body?.Digest, ct));

        transitions.MapPost("/{id:long}/reject", (long id, DecisionBody? body, LifecycleService service, ClaimsPrincipal user,
            CancellationToken ct) => service.RejectAsync(user.ToActor(), id, body?.Comment, ct));

        transitions.MapPost("/{id:long}/cancel", (long id, LifecycleService service, ClaimsPrincipal user, CancellationToken ct) =>
            service.CancelAsync(user.ToActor(), id, ct));

        transitions.MapPost("/{id:long}/comments", async (long id, CommentBody? body, LifecycleService service, ClaimsPrincipal user,
            CancellationToken ct) =>
        {
            var comment = await service.CommentAsync(user.ToActor(), id, body?.Text, ct);
            return TypedResults.Created($"/api/v1/transitions/{id}", comment);
        });
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
