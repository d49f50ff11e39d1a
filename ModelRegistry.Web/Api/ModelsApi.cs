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
            : throw ValidationFailedException.For("sort", "sort must be name, created or updated, optionally prefixed with '-'.");
    }
}
