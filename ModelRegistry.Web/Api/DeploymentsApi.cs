using System.Security.Claims;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Deployments;
using ModelRegistry.Web.Security;

namespace ModelRegistry.Web.Api;

/// <summary>Deployment records, usually posted by CI/CD with a token (docs/design.md, "REST API").</summary>
internal static class DeploymentsApi
{
    /// <summary>What a pipeline reports about a version in an environment.</summary>
    public sealed record DeploymentBody(string? Environment, string? Status, string? Target = null, string? ExternalRef = null, string? Notes = null);

    public static void MapDeployments(this RouteGroupBuilder api)
    {
        api.MapPost("/models/{name}/versions/{number:int}/deployments", async (string name, int number, DeploymentBody? body,
                DeploymentService service, ClaimsPrincipal user, CancellationToken ct) =>
            {
                var input = new DeploymentInput(body?.Environment, ParseStatus(body?.Status), body?.Target, body?.ExternalRef, body?.Notes);
                var recorded = await service.RecordAsync(user.ToActor(), name, number, input, ct);
                return TypedResults.Created($"/api/v1/deployments/{recorded.Id}", recorded);
            })
            .WithTags("Deployments")
            .WithName("recordDeployment")
            .WithSummary("Records a deployment of a version")
            .WithDescription("Only Staging or Production versions can be Deployed (409); Failed, RolledBack and Retired may be recorded in any stage.")
            .Changes()
            .TakesJson();

        var deployments = api.MapGroup("/deployments").WithTags("Deployments");

        deployments.MapGet("/", async (string? environment, string? model, int? version, int? page, int? pageSize, DeploymentService service,
                CancellationToken ct) => TypedResults.Ok(await service.ListAsync(new DeploymentQuery(environment, model, version, page, pageSize), ct)))
            .WithName("listDeployments")
            .WithSummary("Lists deployment records")
            .WithDescription("Newest first.");

        deployments.MapGet("/{id:long}", async (long id, DeploymentService service, CancellationToken ct) => TypedResults.Ok(await service.GetAsync(id, ct)))
            .WithName("getDeployment")
            .WithSummary("Reads a deployment record")
            .Problems(StatusCodes.Status404NotFound);
    }

    private static DeploymentStatus ParseStatus(string? value)
    {
        var names = string.Join(", ", Enum.GetNames<DeploymentStatus>());
        if (string.IsNullOrWhiteSpace(value))
        {
            throw ValidationFailedException.For("status", $"status is required: one of {names}.");
        }

        return ApiExtensions.TryParseName<DeploymentStatus>(value, out var status)
            ? status
            : throw ValidationFailedException.For("status", $"'{value}' is not a deployment status; status must be one of {names}.");
    }
}
