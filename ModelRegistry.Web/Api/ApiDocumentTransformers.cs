using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using ModelRegistry.Core.Aliases;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Models;

namespace ModelRegistry.Web.Api;

/// <summary>
/// Completes the OpenAPI document the framework generates from the endpoints (docs/design.md, "API contract rules"):
/// only <c>/api/v1</c> (not the Identity form posts, <c>/hf</c> or <c>/setup</c>), the security schemes and each
/// operation's security, the constraints of parameters that mean the same on every route, the headers endpoints
/// declare with <see cref="ApiDocumentation"/>, and enums as the strings they are on the wire.
/// </summary>
internal static class ApiDocumentTransformers
{
    public const string BearerScheme = "bearerAuth";
    public const string CookieScheme = "cookieAuth";

    /// <summary>The dashboard's cookie (<see cref="Hosting.AuthenticationRegistration"/>).</summary>
    public const string CookieName = "registry.auth";

    private static readonly Dictionary<string, string> Tags = new()
    {
        ["Models"] = "Registered models: list, search, register, read, edit.",
        ["Versions"] = "A model's versions, their manifest (what the digest is the SHA-256 of) and evidence packs.",
        ["Files"] = "A version's files: streamed upload, listing, download with ranges and the SHA-256 as ETag.",
        ["Model cards"] = "A version's model card as markdown, its revisions and their diffs.",
        ["Evaluation"] = "Evaluation results of a version, and each metric across a model's versions.",
        ["Transitions"] = "Stage transition requests, their decisions and discussion; which version is in a stage.",
        ["Deployments"] = "Where versions were deployed, as pipelines report it.",
        ["Aliases"] = "Named pointers to versions, usable wherever a read takes a version.",
        ["Attestations"] = "Signed approval attestations and the keys that verify them.",
        ["Audit"] = "The hash-chained audit log: read, export, verify (Auditor, Admin).",
        ["Tokens"] = "API tokens for pipelines and scripts.",
        ["Webhooks"] = "Signed event notifications and their deliveries (Admin).",
    };

    public static IServiceCollection AddRegistryOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.ShouldInclude = description => description.RelativePath?.StartsWith("api/v1/", StringComparison.Ordinal) == true
                || description.RelativePath == "api/v1";
            options.AddDocumentTransformer(DescribeDocumentAsync);
            options.AddOperationTransformer(DescribeOperationAsync);
            options.AddSchemaTransformer(DescribeSchemaAsync);
        });

    private static Task DescribeDocumentAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        document.Info.Title = "Model Registry for LLMs";
        document.Info.Version = "v1";
        document.Info.Description = "Models, versions, files, cards, evaluation results, lifecycle and audit. " +
            "Authenticate with `Authorization: Bearer <token>` (make one under API tokens) or the dashboard cookie. " +
            "Errors are problem details (RFC 9457).";
        // Relative: the document describes whichever host serves it (and stays the same file on every host).
        document.Servers = [new OpenApiServer { Url = "/", Description = "The registry serving this document" }];
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
        {
            [BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API token (dashboard: API tokens; command line: tokens create).",
            },
            [CookieScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Cookie,
                Name = CookieName,
                Description = "The dashboard's sign-in cookie. A request that changes anything must also send the page's " +
                    "antiforgery token in the RequestVerificationToken header.",
            },
        };
        document.Webhooks = new Dictionary<string, IOpenApiPathItem> { ["registryEvent"] = WebhookDelivery() };
        var used = document.Paths.Values.SelectMany(p => p.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>()).SelectMany(o => o.Tags ?? new HashSet<OpenApiTagReference>())
            .Select(t => t.Name).OfType<string>().ToHashSet();
        document.Tags = Tags.Where(t => used.Contains(t.Key))
            .Select(t => new OpenApiTag { Name = t.Key, Description = t.Value })
            .ToHashSet();
        return Task.CompletedTask;
    }

    /// <summary>
    /// What the registry sends to a webhook's URL (docs/ci.md, "Webhooks"): the headers by which a receiver checks and
    /// de-duplicates a delivery, and the event as JSON.
    /// </summary>
    private static OpenApiPathItem WebhookDelivery() => new()
    {
        Operations = new Dictionary<HttpMethod, OpenApiOperation>
        {
            [HttpMethod.Post] = new()
            {
                OperationId = "receiveRegistryEvent",
                Summary = "An event delivered to a webhook",
                Description = "A JSON POST to the webhook's URL, retried with back-off until the receiver answers 2xx. Most events "
                    + "carry {event, occurredAt, sequence, actor, entity, model, data} from the audit event; audit.head carries the "
                    + "chain head, ping a test.",
                Tags = new HashSet<OpenApiTagReference> { new("Webhooks") },
                Security = [],
                Parameters =
                [
                    WebhookHeader("X-Registry-Event", "The event type.", null, [.. Core.Webhooks.WebhookEvents.All, Core.Webhooks.WebhookEvents.Ping]),
                    WebhookHeader("X-Registry-Delivery", "The delivery's id, the same on every retry: drop duplicates by it.", null, null),
                    WebhookHeader("X-Registry-Signature", "sha256= and the lowercase hex HMAC-SHA256 of the raw body with the webhook's secret.",
                        "^sha256=[0-9a-f]{64}$", null),
                ],
                RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/json"] = new()
                        {
                            Schema = new OpenApiSchema
                            {
                                Type = JsonSchemaType.Object,
                                Required = new HashSet<string> { "event" },
                                Properties = new Dictionary<string, IOpenApiSchema>
                                {
                                    ["event"] = new OpenApiSchema { Type = JsonSchemaType.String },
                                },
                            },
                        },
                    },
                },
                Responses = new OpenApiResponses
                {
                    ["200"] = new OpenApiResponse { Description = "Received (any 2xx); anything else, or no answer in time, is retried." },
                    ["400"] = new OpenApiResponse { Description = "Refused (e.g. a bad signature); retried like any failure." },
                },
            },
        },
    };

    private static OpenApiParameter WebhookHeader(string name, string description, string? pattern, IEnumerable<string>? values) => new()
    {
        Name = name,
        In = ParameterLocation.Header,
        Required = true,
        Description = description,
        Schema = new OpenApiSchema
        {
            Type = JsonSchemaType.String,
            Pattern = pattern,
            Enum = values?.Select(v => (JsonNode)v).ToList(),
        },
    };

    private static Task DescribeOperationAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any())
        {
            operation.Security =
            [
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] },
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(CookieScheme, context.Document)] = [] },
            ];
        }

        foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
        {
            DescribeParameter(parameter, metadata.OfType<ParameterValuesMetadata>().FirstOrDefault(v => v.Name == parameter.Name));
        }

        foreach (var header in metadata.OfType<RequestHeaderMetadata>())
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = header.Name,
                In = ParameterLocation.Header,
                Description = header.Description,
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = header.Pattern },
            });
        }

        foreach (var (status, response) in operation.Responses ?? [])
        {
            if (response is not OpenApiResponse described)
            {
                continue;
            }

            var code = int.Parse(status, CultureInfo.InvariantCulture);
            foreach (var text in metadata.OfType<TextContentMetadata>().Where(t => t.Status == code))
            {
                described.Content ??= new Dictionary<string, OpenApiMediaType>();
                described.Content[text.ContentType] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
            }

            var headers = metadata.OfType<ResponseHeaderMetadata>().Where(h => h.Status == code)
                .Select(h => (h.Name, h.Description, h.Pattern)).ToList();
            if (code == StatusCodes.Status201Created)
            {
                headers.Add(("Location", "Where the created resource is read.", null));
            }

            foreach (var (name, description, pattern) in headers)
            {
                described.Headers ??= new Dictionary<string, IOpenApiHeader>();
                described.Headers[name] = new OpenApiHeader
                {
                    Description = description,
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = pattern },
                };
            }

            if (code is StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable)
            {
                described.Headers ??= new Dictionary<string, IOpenApiHeader>();
                described.Headers["Retry-After"] = new OpenApiHeader
                {
                    Description = "Seconds to wait before trying again.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "0" },
                };
            }
        }

        if (operation.Responses is { Count: > 1 } responses)
        {
            // In status order, success first: the order a reader (and a diff of docs/openapi.json) expects.
            var sorted = responses.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
            responses.Clear();
            foreach (var (status, response) in sorted)
            {
                responses[status] = response;
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Parameters that mean the same on every route they appear in, and an endpoint's own values for one.</summary>
    private static void DescribeParameter(OpenApiParameter parameter, ParameterValuesMetadata? values)
    {
        if (parameter.Schema is not OpenApiSchema schema)
        {
            return;
        }

        var integer = schema.Type?.HasFlag(JsonSchemaType.Integer) == true;
        switch (parameter.Name)
        {
            case "name" when parameter.In == ParameterLocation.Path:
                schema.Pattern = EcmaPattern(ModelName.Pattern);
                parameter.Description ??= ModelName.Rule;
                break;
            case "alias" when parameter.In == ParameterLocation.Path:
                schema.Pattern = EcmaPattern(AliasName.Pattern);
                parameter.Description ??= AliasName.Rule;
                break;
            case "number" when integer:
                schema.Minimum = "1";
                parameter.Description ??= "The version's number (a change takes the number, never a reference).";
                break;
            case "number":
                schema.MinLength = 1;
                parameter.Description ??= "The version: its number, or a reference — latest, production, staging, an alias, "
                    + "or a commit or digest prefix of at least 12 hex digits (optionally sha256:…).";
                break;
            case "path" when parameter.In == ParameterLocation.Path:
                schema.MinLength = 1;
                schema.MaxLength = ArtifactPath.MaxLength;
                parameter.Description ??= "The file's path inside the version, e.g. tokenizer/tokenizer.json. Its slashes may be "
                    + "sent as they are or percent-encoded (%2F): both name the same file.";
                break;
            case "stage":
                schema.Enum = Enum.GetNames<Stage>().Select(n => (JsonNode)n).ToList();
                break;
            case "page" or "revision" or "from" or "to" or "version" or "id" when integer:
                schema.Minimum = "1";
                break;
            case "pageSize" when integer:
                schema.Minimum = "1";
                schema.Maximum = PageRequest.MaxPageSize.ToString(CultureInfo.InvariantCulture);
                parameter.Description ??= $"Items per page (default {PageRequest.DefaultPageSize}).";
                break;
        }

        if (parameter.Name == "page" && integer)
        {
            schema.Maximum = "10000000";
        }

        if (values is not null)
        {
            schema.Enum = values.Values.Select(v => (JsonNode)v).ToList();
        }
    }

    private static Task DescribeSchemaAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        var type = Nullable.GetUnderlyingType(context.JsonTypeInfo.Type) ?? context.JsonTypeInfo.Type;
        if (type.IsEnum && schema.Enum is { Count: > 0 })
        {
            // Enums travel as their names (ApiRegistration.ConfigureJson), never as numbers.
            schema.Type = JsonSchemaType.String;
        }

        if (context.JsonPropertyInfo is null)
        {
            BodyRules.Apply(type, schema);
        }

        return Task.CompletedTask;
    }

    /// <summary>Core's patterns end in <c>\z</c> (.NET's true end of input); JSON Schema's ECMA dialect writes that <c>$</c>.</summary>
    internal static string EcmaPattern(string dotnetPattern) =>
        dotnetPattern.EndsWith(@"\z", StringComparison.Ordinal) ? dotnetPattern[..^2] + "$" : dotnetPattern;

    /// <summary>Values the endpoints parse from body strings themselves (for messages that name the field).</summary>
    private static class BodyRules
    {
        public static void Apply(Type type, OpenApiSchema schema)
        {
            if (type == typeof(LifecycleApi.TransitionBody))
            {
                Require(schema, "toStage", Enum.GetNames<Stage>());
            }
            else if (type == typeof(DeploymentsApi.DeploymentBody))
            {
                Require(schema, "status", Enum.GetNames<Core.Deployments.DeploymentStatus>());
                Require(schema, "environment", null, EcmaPattern(Core.Deployments.EnvironmentName.Pattern));
            }
            else if (type == typeof(CreateModel))
            {
                Require(schema, "name", null, EcmaPattern(ModelName.Pattern));
            }
        }

        private static void Require(OpenApiSchema schema, string property, string[]? values, string? pattern = null)
        {
            if (schema.Properties?.TryGetValue(property, out var found) != true || found is not OpenApiSchema value)
            {
                return;
            }

            value.Type = JsonSchemaType.String;
            value.Pattern = pattern ?? value.Pattern;
            if (values is not null)
            {
                value.Enum = values.Select(v => (JsonNode)v).ToList();
            }

            schema.Required ??= new HashSet<string>();
            schema.Required.Add(property);
        }
    }
}
