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
        services.AddRegistryOpenApi();

        services.AddProblemDetails(o => o.CustomizeProblemDetails = WriteByReference.Explain);
        services.AddExceptionHandler<RegistryExceptionHandler>();
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.Configure<JsonOptions>(o => ConfigureJson(o.SerializerOptions));
        return services;
    }

    /// <summary>
    /// The API's JSON: camelCase, enums as names (weight formats in lowercase, as docs/design.md spells them in "Domain"),
    /// numbers as JSON numbers. The web defaults also read numbers from strings ("3"), which the OpenAPI document would
    /// then have to type <c>integer|string</c>: a generated client's types would say a version number may be a string.
    /// </summary>
    public static void ConfigureJson(JsonSerializerOptions json)
    {
        json.NumberHandling = JsonNumberHandling.Strict;
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
            // Scalar's developer toolbar (shown on localhost) advertises its hosting ("Deploy .NET"), SDK generation and
            // sharing on scalar.com, and the sidebar's "Open API Client" its own app: the reference is all we serve.
            .HideDeveloperTools()
            .HideClientButton()
            .DisableDefaultFonts()
            .DisableTelemetry()
            .DisableAgent()
            .DisableMcp());
        return app;
    }
}
