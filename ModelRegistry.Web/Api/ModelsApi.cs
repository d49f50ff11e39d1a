using System.Security.Claims;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Models;
using ModelRegistry.Web.Security;

namespace ModelRegistry.Web.Api;

/// <summary>Registered models: list (search, filters, sort, paging), register, read, edit (with If-Match).</summary>
internal static class ModelsApi
{
    public static void MapModels(this RouteGroupBuilder api)
    {
        var models = api.MapGroup("/models").WithTags("Models");

        models.MapGet("/", async (ModelService service, CancellationToken ct, string? search, string? tag, string? task,
                string? stage, string? license, string? format, string? @base, string? team, string? sort, int? page, int? pageSize) =>
            TypedResults.Ok(await service.ListAsync(Query(search, tag, task, stage, license, format, @base, team) with
            {
                Sort = ParseSort(sort, out var descending),
                Descending = descending,
                Page = page ?? 1,
                PageSize = pageSize ?? PageRequest.DefaultPageSize,
            }, ct)))
            .WithName("listModels")
            .WithSummary("Lists models")
            .WithDescription("Models matching the search (name, display name, description), tag, task, stage (of any version), "
                + "licence, weight format and base model (of the headline version: Production, else the newest) and owner team; "
                + "most recently updated first unless sorted.")
            .ParameterValues("sort", "name", "-name", "created", "-created", "updated", "-updated", "parameters", "-parameters",
                "versions", "-versions");

        // Not under /models/: a model may be called "facets".
        api.MapGet("/facets/models", async (ModelService service, CancellationToken ct, string? search, string? tag, string? task,
                string? stage, string? license, string? format, string? @base, string? team) =>
            TypedResults.Ok(await service.FacetsAsync(Query(search, tag, task, stage, license, format, @base, team), ct)))
            .WithTags("Models")
            .WithName("listModelFacets")
            .WithSummary("Counts the models of a search by facet")
            .WithDescription("For each facet (task, stage, license, format, base, tag, team) its most common values, with how many "
                + "models of the search have each, counted with every filter but the facet's own. Takes the filters of listModels.");

        models.MapPost("/", async (CreateModel body, ModelService service, ClaimsPrincipal user, CancellationToken ct) =>
            {
                var created = await service.CreateAsync(user.ToActor(), body, ct);
                return TypedResults.Created($"/api/v1/models/{Uri.EscapeDataString(created.Name)}", created);
            })
            .WithName("createModel")
            .WithSummary("Registers a model")
            .WithDescription("DataScientist or Admin; 409 when the name is taken.")
            .Problems(StatusCodes.Status403Forbidden, StatusCodes.Status409Conflict, StatusCodes.Status507InsufficientStorage)
            .TakesJson();

        models.MapGet("/{name}", async (string name, ModelService service, HttpResponse response, CancellationToken ct) =>
            {
                var model = await service.GetAsync(name, ct);
                response.Headers.ETag = ModelETag(model);
                return TypedResults.Ok(model);
            })
            .WithName("getModel")
            .WithSummary("Reads a model")
            .Problems(StatusCodes.Status404NotFound)
            .ResponseHeader(StatusCodes.Status200OK, "ETag", "The model as read: send it as If-Match to change only this state.");

        // With If-Match (the ETag of a GET), the edit applies only to the model as it was read: 409 if it changed since.
        models.MapPatch("/{name}", async (string name, UpdateModel body, HttpRequest request, HttpResponse response, ModelService service,
                ClaimsPrincipal user, CancellationToken ct) =>
            {
                var model = await service.UpdateAsync(user.ToActor(), name, body, ParseIfMatch(request), ct);
                response.Headers.ETag = ModelETag(model);
                return TypedResults.Ok(model);
            })
            .WithName("updateModel")
            .WithSummary("Changes a model's description, task, tags or owner")
            .WithDescription("With If-Match, only if the model has not changed since it was read (409 otherwise, nothing changed).")
            .Changes()
            .TakesJson()
            .RequestHeader("If-Match", "The ETag of a GET of the model: the change applies only to the model as it was then.")
            .ResponseHeader(StatusCodes.Status200OK, "ETag", "The model as changed.");
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

    private static ModelQuery Query(string? search, string? tag, string? task, string? stage, string? license, string? format,
        string? @base, string? team) =>
        new(search, tag, task, LifecycleApi.ParseStage(stage, "stage", required: false), License: license,
            Format: string.IsNullOrWhiteSpace(format) ? null
                : ApiExtensions.TryParseName<ModelRegistry.Core.Versions.WeightFormat>(format.Trim(), out var f) ? f
                : throw ValidationFailedException.For("format", "format must be safetensors, gguf, pytorch, onnx, other or unknown."),
            BaseModel: @base, Team: team);

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
        return ApiExtensions.TryParseName<ModelSort>(key, out var s) ? s
            : throw ValidationFailedException.For("sort", "sort must be name, created, updated, parameters or versions, optionally prefixed with '-'.");
    }
}
