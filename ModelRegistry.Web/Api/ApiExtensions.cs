using Microsoft.AspNetCore.Mvc;
using ModelRegistry.Web.Hub;

namespace ModelRegistry.Web.Api;

/// <summary>
/// The REST API under /api/v1 (docs/design.md, "REST API"): what every endpoint shares, and the table of contents of
/// the features' endpoints. Rules live in Core; the endpoints translate.
/// </summary>
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
            // What every endpoint may answer, as problem details (RFC 9457): a malformed request or path (400), no or bad
            // credentials (401), the rate limit (429), the database or artifact store out of reach (503). Each endpoint
            // declares its own beyond these (ApiDocumentation).
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        // One file per feature, named after Core's folder: feature → file → route prefixes.
        api.MapModels();        // ModelsApi       /models
        api.MapVersions();      // VersionsApi     /models/{name}/versions, …/manifest
        api.MapTokens();        // TokensApi       /tokens
        api.MapWebhooks();      // WebhooksApi     /webhooks
        api.MapAudit();         // AuditApi        /audit
        api.MapArtifacts();     // ArtifactsApi    …/versions/{number}/files
        api.MapLifecycle();     // LifecycleApi    …/versions/{number}/transitions, /models/{name}/stages, /transitions
        api.MapDeployments();   // DeploymentsApi  …/versions/{number}/deployments, /deployments
        api.MapCards();         // CardsApi        …/versions/{number}/card
        api.MapMetrics();       // MetricsApi      …/versions/{number}/metrics, /models/{name}/metrics (Evaluation)
        api.MapEvidence();      // EvidenceApi     …/versions/{number}/evidence (Compliance)
        api.MapAttestations();  // AttestationsApi …/versions/{number}/attestations, /signing-key(s), /attestations/verify (Signing)
        api.MapAliases();       // AliasesApi      /models/{name}/aliases
        api.MapTeams();         // TeamsApi        /teams, /me (Teams)
        api.MapUploads();       // UploadsApi      /uploads, …/versions/{number}/uploads (resumable, tus 1.0; Artifacts)
        app.MapHubCompat();     // Hub/            /hf, the Hub-compatible read API: its own contract, not in the OpenAPI document
        return app;
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
