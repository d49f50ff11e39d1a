using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Json;
using ModelRegistry.Core.Versions;
using ModelRegistry.Web.Api;
using Scalar.AspNetCore;

namespace ModelRegistry.Web.Hosting;

internal static class ApiRegistration
{
    /// <summary>What the REST API shares: its OpenAPI document, problem details for every failure, and its JSON.</summary>
    public static IServiceCollection AddRegistryApi(this IServiceCollection services)
    {
        services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Model Registry for LLMs";
            document.Info.Description = "Models, versions, files, cards, evaluation results, lifecycle and audit. " +
                "Authenticate with `Authorization: Bearer <token>` (make one under API tokens) or the dashboard cookie.";
            return Task.CompletedTask;
        }));

        services.AddProblemDetails(o => o.CustomizeProblemDetails = WriteByReference.Explain);
        services.AddExceptionHandler<RegistryExceptionHandler>();
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.Configure<JsonOptions>(o => ConfigureJson(o.SerializerOptions));
        return services;
    }

    /// <summary>The API's JSON: camelCase, enums as names (weight formats in lowercase, as docs/design.md spells them in "Domain").</summary>
    public static void ConfigureJson(JsonSerializerOptions json)
    {
        json.Converters.Add(new JsonStringEnumConverter<WeightFormat>(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        json.Converters.Add(new JsonStringEnumConverter(namingPolicy: null, allowIntegerValues: false));
    }

    /// <summary>The OpenAPI document and an interactive reference, for signed-in users (assets served locally, no CDN).</summary>
    public static WebApplication MapRegistryApiReference(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/reference", (options, context) => options
            .WithTitle("Model Registry API")
            .WithNonce(context.Nonce())
            .WithOpenApiRoutePattern("/openapi/{documentName}.json")
            .DisableDefaultFonts()
            .DisableTelemetry()
            .DisableAgent()
            .DisableMcp());
        return app;
    }
}
