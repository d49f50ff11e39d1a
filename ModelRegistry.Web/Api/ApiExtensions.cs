using System.Security.Claims;
using Microsoft.AspNetCore.Mvc;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Versions;
using ModelRegistry.Web.Hub;
using ModelRegistry.Web.Security;

namespace ModelRegistry.Web.Api;

/// <summary>The REST API under /api/v1 (docs/design.md, "REST API"). Rules live in Core; these endpoints translate.</summary>
public static class ApiExtensions
{
    /// <summary>JSON request bodies of the API; file uploads have their own limit.</summary>
    public const long MaxJsonBodyBytes = 1024 * 1024;

    public static IEndpointRouteBuilder MapRegistryApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1")
            .RequireAuthorization()
            .WithMetadata(new RequestSizeLimitAttribute(MaxJsonBodyBytes))
            // The framework's form antiforgery does not apply to JSON and raw bodies; cookie callers are checked for
            // every change by UseApiAntiforgery instead, bearer tokens are exempt.
            .DisableAntiforgery()
            // Every endpoint may answer with problem details (RFC 9457); the OpenAPI document says so.
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        api.MapModels();
        api.MapVersions();
        api.MapTokens();
        api.MapWebhooks();
        api.MapAudit();
        api.MapArtifacts();
        api.MapLifecycle();
        api.MapDeployments();
        api.MapCards();
        api.MapMetrics();
        api.MapEvidence();
        api.MapAttestations();
        api.MapAliases();
        app.MapHubCompat(); // the Hub-compatible read API under /hf: its own contract, not in the OpenAPI document
        return app;
    }

    private static void MapModels(this RouteGroupBuilder api)
    {
        var models = api.MapGroup("/models").WithTags("Models");

        models.MapGet("/", (ModelService service, CancellationToken ct, string? search, string? tag, string? task,
                string? stage, string? sort, int? page, int? pageSize) =>
            service.ListAsync(new ModelQuery(search, tag, task, LifecycleApi.ParseStage(stage, "stage", required: false), ParseSort(sort, out var descending), descending,
                page ?? 1, pageSize ?? PageRequest.DefaultPageSize), ct));

        models.MapPost("/", async (CreateModel body, ModelService service, ClaimsPrincipal user, CancellationToken ct) =>
        {
            var created = await service.CreateAsync(user.ToActor(), body, ct);
            return TypedResults.Created($"/api/v1/models/{Uri.EscapeDataString(created.Name)}", created);
        });

        models.MapGet("/{name}", async (string name, ModelService service, HttpResponse response, CancellationToken ct) =>
        {
            var model = await service.GetAsync(name, ct);
            response.Headers.ETag = ModelETag(model);
            return model;
        });

        // With If-Match (the ETag of a GET), the edit applies only to the model as it was read: 409 if it changed since.
        models.MapPatch("/{name}", async (string name, UpdateModel body, HttpRequest request, HttpResponse response, ModelService service,
            ClaimsPrincipal user, CancellationToken ct) =>
        {
            var model = await service.UpdateAsync(user.ToActor(), name, body, ParseIfMatch(request), ct);
            response.Headers.ETag = ModelETag(model);
            return model;
        });
    }

    /// <summary>A model's entity tag: the instant of its last change, exact to the tick.</summary>
    private static string ModelETag(ModelInfo model) =>
        $"\"{model.UpdatedAt.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture)}\"";

    private static DateTimeOffset? ParseIfMatch(HttpRequest request)
    {
        var value = request.Headers.IfMatch.ToString().Trim();
        if (value.Length == 0 || value == "*")
        {
            return null;
        }

        return value.Length > 2 && value[0] == '"' && value[^1] == '"'
               && long.TryParse(value[1..^1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ticks)
               && ticks <= DateTimeOffset.MaxValue.UtcTicks
            ? new DateTimeOffset(ticks, TimeSpan.Zero)
            : throw ValidationFailedException.For("If-Match", "If-Match must be one entity tag exactly as the model's ETag header gave it.");
    }

    private static void MapVersions(this RouteGroupBuilder api)
    {
        var versions = api.MapGroup("/models/{name}/versions").WithTags("Versions");

        versions.MapGet("/", (string name, int? page, int? pageSize, VersionService service, CancellationToken ct) =>
            service.ListAsync(name, page, pageSize, ct));

        versions.MapPost("/", async (string name, VersionInput? body, VersionService service, ClaimsPrincipal user, CancellationToken ct) =>
        {
            var created = await service.CreateAsync(user.ToActor(), name, body ?? new VersionInput(), ct);
            return TypedResults.Created($"/api/v1/models/{Uri.EscapeDataString(name)}/versions/{created.Number}", created);
        });

        // Reads take a version reference (a number, latest, production, staging, an alias, a commit); writes a number.
        versions.MapGet("/{number}", async (string name, string number, VersionReferences references, VersionService service,
                CancellationToken ct) => await service.GetAsync(name, await references.ResolveAsync(name, number, ct), ct))
            .WithSummary("One version; {number} is a number or a reference: latest, production, staging, an alias, or a commit or digest prefix (12+ hex digits).");

        versions.MapPatch("/{number:int}", (string name, int number, VersionInput body, VersionService service,
                ClaimsPrincipal user, CancellationToken ct) =>
            service.UpdateAsync(user.ToActor(), name, number, body, ct));

        // Exactly the bytes the digest is the SHA-256 of: a client recomputes the digest from them.
        versions.MapGet("/{number}/manifest", async (string name, string number, VersionReferences references, VersionService service,
            CancellationToken ct) =>
        {
            var manifest = await service.ManifestAsync(name, await references.ResolveAsync(name, number, ct), ct);
            return TypedResults.Bytes(manifest.Bytes, "application/json", entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{manifest.Digest}\""));
        });
    }

    private static ModelSort ParseSort(string? sort, out bool descending)
    {
        // "name", "-updated", "created" …: a leading '-' sorts descending. Default: most recently updated first.
        descending = true;
        if (string.IsNullOrWhiteSpace(sort))
        {
            return ModelSort.Updated;
        }

        var key = sort.Trim();
        descending = key.StartsWith('-');
        key = descending ? key[1..] : key;
        return TryParseName<ModelSort>(key, out var s) ? s
            : throw ValidationFailedException.For("sort", "sort must be name, created or updated, optionally prefixed with '-'.");
    }

    /// <summary>
    /// Exactly one member name, any case, nothing around it ("Staging\n" is not a stage). Enum.TryParse would also take
    /// numbers and comma lists, which it combines as flags ("Staging,Production" would silently mean Archived).
    /// </summary>
    internal static bool TryParseName<T>(string value, out T result) where T : struct, Enum
    {
        var name = Enum.GetNames<T>().FirstOrDefault(n => string.Equals(n, value, StringComparison.OrdinalIgnoreCase));
        result = name is null ? default : Enum.Parse<T>(name);
        return name is not null;
    }
}
