using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ModelRegistry.Core;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Artifacts.Storage;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Web.Api;
using ModelRegistry.Web.Components;
using ModelRegistry.Web.Components.Account;
using ModelRegistry.Web.Security;
using MudBlazor.Services;
using Scalar.AspNetCore;

namespace ModelRegistry.Web.Hosting;

public static class WebRegistration
{
    /// <summary>The authentication scheme that picks bearer token or cookie per request.</summary>
    public const string SmartScheme = "Registry";

    /// <summary>Request bodies other than file uploads (forms, sign-in, JSON); the API group's own limit is lower.</summary>
    public const long MaxOtherBodyBytes = 4 * 1024 * 1024;

    /// <summary>Twice the card limit (JSON escaping can double a text) and room for the rest of the message.</summary>
    public const long MaxCircuitMessageBytes = 2L * ModelRegistry.Core.Cards.CardService.MaxCardBytes + 1024 * 1024;

    /// <summary>Dashboard, sign-in, authorization, API plumbing and health checks.</summary>
    public static WebApplicationBuilder AddModelRegistryWeb(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        // Every request body but a file upload is small. The upload endpoint lifts the limit for its own request
        // to Registry:Artifacts:MaxFileBytes and streams the body; nothing accepts files as multipart forms, so
        // forms stay small too and can never be used to spool gigabytes to disk.
        var limits = builder.Configuration.GetSection(RequestLimitOptions.Section).Get<RequestLimitOptions>() ?? new RequestLimitOptions();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = MaxOtherBodyBytes;
            // A client trickling a body is cut off (408) rather than holding a connection and a temporary file.
            kestrel.Limits.MinRequestBodyDataRate = limits.MinRequestBodyBytesPerSecond > 0
                ? new MinDataRate(limits.MinRequestBodyBytesPerSecond, TimeSpan.FromSeconds(limits.MinRequestBodyGraceSeconds))
                : null;
            // Kestrel's own refusals (a %00 in the path, a request line over its limit) answer problem details too.
            kestrel.UseProblemDetailsForRejectedRequests();
        });
        services.AddOptions<RequestLimitOptions>().BindConfiguration(RequestLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        // By default each socket read is preceded by a zero-byte "wait for data" read, which doubles the system calls
        // of a streamed upload (Kestrel reads at most 4 KiB per call). Without it a 1 GiB upload costs about 40 % less
        // CPU; the price is one 4 KiB buffer held by each idle connection.
        services.Configure<SocketTransportOptions>(sockets => sockets.WaitForDataBeforeAllocatingBuffer = false);
        services.Configure<FormOptions>(forms =>
        {
            forms.MultipartBodyLengthLimit = MaxOtherBodyBytes;
            forms.BufferBodyLengthLimit = MaxOtherBodyBytes;
        });
        services.AddRazorComponents().AddInteractiveServerComponents()
            // The card editor sends the whole text with each change: a circuit must accept a message the size of the
            // largest card Core takes, escaped as JSON (32 KB by default would drop the circuit on a long card).
            .AddHubOptions(hub => hub.MaximumReceiveMessageSize = MaxCircuitMessageBytes);
        // Notices appear bottom right, where they cover no page header or primary action.
        services.AddMudServices(mud => mud.SnackbarConfiguration.PositionClass = MudBlazor.Defaults.Classes.Position.BottomRight);

        services.AddCascadingAuthenticationState();
        services.AddScoped<IdentityRedirectManager>();
        services.AddScoped<AuthenticationStateProvider, IdentityRevalidatingAuthenticationStateProvider>();
        services.AddScoped<CurrentActor>();

        services.AddAuthentication(options =>
            {
                options.DefaultScheme = SmartScheme;
                options.DefaultChallengeScheme = SmartScheme;
                options.DefaultSignInScheme = IdentityConstants.ExternalScheme;
            })
            .AddPolicyScheme(SmartScheme, "Bearer token or dashboard cookie", options =>
                options.ForwardDefaultSelector = context =>
                    context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                        ? ApiTokenAuthenticationHandler.SchemeName
                        : IdentityConstants.ApplicationScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenAuthenticationHandler.SchemeName, null)
            .AddIdentityCookies();

        services.ConfigureApplicationCookie(cookie =>
        {
            cookie.Cookie.Name = "registry.auth";
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest; // Secure whenever served over HTTPS.
            cookie.LoginPath = "/Account/Login";
            cookie.AccessDeniedPath = "/Account/AccessDenied";
            // API callers get status codes, not a redirect to the sign-in page.
            cookie.Events.OnRedirectToLogin = context => ApiAwareRedirect(context, StatusCodes.Status401Unauthorized);
            cookie.Events.OnRedirectToAccessDenied = context => ApiAwareRedirect(context, StatusCodes.Status403Forbidden);
            // Other sessions end on their next request once the security stamp changes, not up to 30 minutes later.
            cookie.Events.OnValidatePrincipal = SessionStampValidator.ValidatePrincipalAsync;
        });

        new IdentityBuilder(typeof(ApplicationUser), typeof(IdentityRole), services)
            .AddSignInManager()
            .AddClaimsPrincipalFactory<RegistryClaimsPrincipalFactory>();
        services.AddSingleton<IEmailSender<ApplicationUser>, IdentityNoOpEmailSender>();
        services.AddHttpContextAccessor();
        services.AddScoped<IClaimsTransformation, RoleRefreshTransformation>();

        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddRegistryPolicies();
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, DashboardForbiddenHandler>();

        services.AddRegistryForwardedHeaders();
        services.AddRegistryRateLimiting(builder.Configuration);
        services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Model Registry for LLMs";
            document.Info.Description = "Models, versions, files, cards, evaluation results, lifecycle and audit. " +
                "Authenticate with `Authorization: Bearer <token>` (make one under API tokens) or the dashboard cookie.";
            return Task.CompletedTask;
        }));

        services.AddProblemDetails(o => o.CustomizeProblemDetails = Api.WriteByReference.Explain);
        services.AddExceptionHandler<RegistryExceptionHandler>();
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.Configure<JsonOptions>(o => ConfigureJson(o.SerializerOptions));

        // Webhook deliveries are sent by the server only (the command line queues them through the outbox); so is the
        // audit chain head (audit.head).
        services.AddHostedService(sp => sp.GetRequiredService<ModelRegistry.Core.Webhooks.WebhookDispatcher>());
        services.AddHostedService<ModelRegistry.Core.Artifacts.StoreSweeper>();
        services.AddHostedService<ModelRegistry.Core.Webhooks.AuditHeadPublisher>();
        services.AddSingleton<ModelRegistry.Core.Webhooks.WebhookDispatcher>();

        services.AddHealthChecks()
            // A real round trip: opening a pooled connection proves nothing once the database host has gone.
            .AddDbContextCheck<RegistryDbContext>("database", customTestQuery: async (db, ct) =>
            {
                await db.Database.ExecuteSqlRawAsync("SELECT 1", ct);
                return true;
            })
            .AddCheck<ArtifactStoreHealthCheck>("artifact-store");
        return builder;
    }

    /// <summary>The API's JSON: camelCase, enums as names (weight formats in lowercase, as docs/design.md spells them in "Domain").</summary>
    public static void ConfigureJson(JsonSerializerOptions json)
    {
        json.Converters.Add(new JsonStringEnumConverter<WeightFormat>(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        json.Converters.Add(new JsonStringEnumConverter(namingPolicy: null, allowIntegerValues: false));
    }

    /// <summary>Migrates the database, and prints the one-time setup link when nobody can sign in yet.</summary>
    public static async Task InitializeRegistryAsync(this WebApplication app)
    {
        await app.Services.GetRequiredService<DatabaseInitializer>().InitializeAsync();
        // The attestation key is read (or generated) now: a bad key file stops start-up, naming the setting.
        app.Services.GetRequiredService<ModelRegistry.Core.Signing.SigningKeys>().EnsureLoaded();
        // The store must be usable before the server takes requests: otherwise stop with the setting to check.
        await app.Services.GetRequiredService<IArtifactStore>().CheckAsync(CancellationToken.None);
        // Before any upload can start: temporary files of uploads cut off by a crash go.
        await app.Services.GetRequiredService<ArtifactService>().RecoverStoreAsync();
        var setup = app.Services.GetRequiredService<FirstRunSetup>();
        if (await setup.IsOpenAsync())
        {
            var token = setup.IssueToken();
            app.Lifetime.ApplicationStarted.Register(() =>
            {
                var address = app.Urls.FirstOrDefault()?.Replace("0.0.0.0", "localhost").Replace("[::]", "localhost") ?? "http://localhost:5080";
                Console.WriteLine();
                Console.WriteLine("  No users yet. Create the first Admin at this one-time link:");
                Console.WriteLine($"  {address.TrimEnd('/')}/setup?token={token}");
                Console.WriteLine();
            });
        }
    }

    public static WebApplication UseRegistryPipeline(this WebApplication app)
    {
        // First: a response that starts before this line runs is taken for one of Kestrel's own refusals.
        app.UseRejectedRequestMarker();
        // Before anything reads the scheme, host or client address (HSTS, cookies, redirects, rate limits, logs).
        app.UseRegistryForwardedHeaders();
        app.UseSecurityHeaders();
        // API failures are problem details (RegistryExceptionHandler); a page's failure re-renders /Error: a generic
        // message and the request id, nothing of the exception (outside Development too).
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandlingPath = "/Error",
            CreateScopeForErrors = true,
            AllowStatusCode404Response = true,
            // API failures are logged by RegistryExceptionHandler, once, with the trace id of the problem-details body;
            // the middleware logs every other one (a page's failure, answered by /Error).
            SuppressDiagnosticsCallback = c => c.ExceptionHandledBy == ExceptionHandledType.ExceptionHandlerService,
        });
        app.UseRawPathGuard();
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }

        // API callers get problem details for bare error statuses (401, 403, 404 …); people get the dashboard's page.
        app.UseWhen(context => IsApiRequest(context.Request), api => api.UseStatusCodePages());
        app.UseWhen(context => !IsApiRequest(context.Request),
            pages => pages.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true));
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.UseApiAntiforgery();
        return app;
    }

    public static WebApplication MapRegistryDashboard(this WebApplication app)
    {
        app.MapStaticAssets().AllowAnonymous();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.MapAdditionalIdentityEndpoints();
        app.MapHealthChecks("/healthz", new HealthCheckOptions { ResponseWriter = WriteHealthAsync }).AllowAnonymous();

        // The OpenAPI document and an interactive reference, for signed-in users (assets served locally, no CDN).
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

    private static Task ApiAwareRedirect(Microsoft.AspNetCore.Authentication.RedirectContext<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions> context, int status)
    {
        if (IsApiRequest(context.Request))
        {
            context.Response.StatusCode = status;
            if (status == StatusCodes.Status401Unauthorized)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
            }

            return Task.CompletedTask;
        }

        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    /// <summary>Machine-facing paths: they answer with status codes and problem details, never a sign-in redirect.</summary>
    public static bool IsApiRequest(HttpRequest request) => IsApiPath(request.Path);

    /// <summary>See <see cref="IsApiRequest"/>; for a path other than the request's current one.</summary>
    public static bool IsApiPath(PathString path) =>
        path.StartsWithSegments("/api") || path.StartsWithSegments("/openapi") || path.StartsWithSegments(Hub.HubApi.Prefix);

    private static Task WriteHealthAsync(HttpContext context, HealthReport report) =>
        context.Response.WriteAsJsonAsync(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), e.Value.Description }),
        });
}

/// <summary>The artifact store is healthy when the store says it can be used (directory writable; bucket reachable).</summary>
internal sealed class ArtifactStoreHealthCheck(IArtifactStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            // A load balancer's probe must not hang on a store that does not answer.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await store.CheckAsync(timeout.Token);
            return HealthCheckResult.Healthy(store is FileSystemArtifactStore ? "writable" : "reachable");
        }
        catch (ArtifactStoreUnavailableException e)
        {
            return HealthCheckResult.Unhealthy(e.Message);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("The artifact store did not answer within 10 seconds.");
        }
    }
}
