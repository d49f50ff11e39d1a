using System.Security.Claims;
using ModelRegistry.Core.Webhooks;
using ModelRegistry.Web.Security;

namespace ModelRegistry.Web.Api;

internal static class WebhooksApi
{
    /// <summary>A new webhook with its secret, echoed this once (it may have been generated); stored encrypted, never shown again.</summary>
    public sealed record WebhookCreated(long Id, string Url, IReadOnlyList<string> Events, DateTimeOffset CreatedAt, string Secret);

    /// <summary>The Restricted models whose events a webhook may receive (replaces the list).</summary>
    public sealed record RestrictedModels(IReadOnlyList<string>? Models);

    public static void MapWebhooks(this RouteGroupBuilder api)
    {
        var webhooks = api.MapGroup("/webhooks").WithTags("Webhooks");

        webhooks.MapPost("/", async (CreateWebhook body, WebhookService service, ClaimsPrincipal user, CancellationToken ct) =>
            {
                var (webhook, secret) = await service.CreateAsync(user.ToActor(), body, ct);
                return TypedResults.Created($"/api/v1/webhooks/{webhook.Id}", new WebhookCreated(webhook.Id, webhook.Url, webhook.Events, webhook.CreatedAt, secret));
            })
            .WithName("createWebhook")
            .WithSummary("Registers a webhook")
            .WithDescription("Admin. The secret signs every delivery (X-Registry-Signature); left out, one is generated.")
            .Problems(StatusCodes.Status403Forbidden, StatusCodes.Status507InsufficientStorage)
            .TakesJson();

        webhooks.MapGet("/", async (WebhookService service, ClaimsPrincipal user, CancellationToken ct) =>
                TypedResults.Ok(await service.ListAsync(user.ToActor(), ct)))
            .WithName("listWebhooks")
            .WithSummary("Lists webhooks")
            .Problems(StatusCodes.Status403Forbidden);

        webhooks.MapDelete("/{id:long}", async (long id, WebhookService service, ClaimsPrincipal user, CancellationToken ct) =>
            {
                await service.DeleteAsync(user.ToActor(), id, ct);
                return TypedResults.NoContent();
            })
            .WithName("deleteWebhook")
            .WithSummary("Deletes a webhook")
            .Problems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status507InsufficientStorage);

        webhooks.MapPut("/{id:long}/restricted-models", async (long id, RestrictedModels body, WebhookService service, ClaimsPrincipal user,
                CancellationToken ct) => TypedResults.Ok(await service.AllowRestrictedModelsAsync(user.ToActor(), id, body.Models, ct)))
            .WithName("setWebhookRestrictedModels")
            .WithSummary("Sets the Restricted models a webhook receives events of")
            .WithDescription("Admin. A Restricted model's events go only to webhooks listed for it. Audited as webhook.models_allowed.")
            .Problems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status507InsufficientStorage)
            .TakesJson();

        webhooks.MapGet("/{id:long}/deliveries", async (long id, WebhookService service, ClaimsPrincipal user, CancellationToken ct) =>
                TypedResults.Ok(await service.DeliveriesAsync(user.ToActor(), id, 100, ct)))
            .WithName("listWebhookDeliveries")
            .WithSummary("Lists a webhook's deliveries")
            .WithDescription("The newest 100: attempts, status codes, next retry.")
            .Problems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);

        webhooks.MapPost("/{id:long}/test", async (long id, WebhookService service, ClaimsPrincipal user, CancellationToken ct) =>
                TypedResults.Accepted($"/api/v1/webhooks/{id}/deliveries", await service.SendTestAsync(user.ToActor(), id, ct)))
            .WithName("testWebhook")
            .WithSummary("Sends a test event to a webhook")
            .Problems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status507InsufficientStorage)
            .ResponseHeader(StatusCodes.Status202Accepted, "Location", "The webhook's deliveries, where the test's outcome appears.");

        webhooks.MapPost("/deliveries/{deliveryId}/redeliver", async (string deliveryId, WebhookService service, ClaimsPrincipal user, CancellationToken ct) =>
            {
                await service.RedeliverAsync(user.ToActor(), deliveryId, ct);
                return TypedResults.Accepted((string?)null);
            })
            .WithName("redeliverWebhookDelivery")
            .WithSummary("Sends a delivery again")
            .WithDescription("409 when its webhook was deleted.")
            .Problems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict,
                StatusCodes.Status507InsufficientStorage);
    }
}
