using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;

namespace ModelRegistry.Web.Hosting;

/// <summary><c>Registry:RateLimits</c>: requests per minute.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "Registry:RateLimits";

    /// <summary>API calls per signed-in user or token owner.</summary>
    public int ApiPerMinute { get; set; } = 1200;

    /// <summary>API calls per client address without valid credentials (floods of bad tokens land here).</summary>
    public int AnonymousApiPerMinute { get; set; } = 120;

    /// <summary>Sign-in and setup form posts per client address.</summary>
    public int SignInPerMinute { get; set; } = 20;
}

/// <summary>
/// The framework's rate limiter: per user (or token owner) on the API, per client address for callers
/// without valid credentials and for sign-in posts. Rejections are 429 with <c>Retry-After</c>, never 503.
/// </summary>
internal static class RateLimiting
{
    public static IServiceCollection AddRegistryRateLimiting(this IServiceCollection services, IConfiguration configuration)
    {
        var limits = configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>() ?? new RateLimitOptions();
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = async (context, ct) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                if (WebRegistration.IsApiRequest(context.HttpContext.Request))
                {
                    await TypedResults.Problem(
                        title: "Too many requests",
                        detail: $"Slow down: try again in {Math.Ceiling(retryAfter.TotalSeconds)} s.",
                        statusCode: StatusCodes.Status429TooManyRequests).ExecuteAsync(context.HttpContext);
                }
                else
                {
                    await context.HttpContext.Response.WriteAsync("Too many attempts. Wait a minute and try again.", ct);
                }
            };
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var request = context.Request;
                var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
                if (HttpMethods.IsPost(request.Method)
                    && (request.Path.StartsWithSegments("/Account/Login") || request.Path.StartsWithSegments("/setup")))
                {
                    return Window("sign-in:" + address, limits.SignInPerMinute);
                }

                if (WebRegistration.IsApiRequest(request))
                {
                    var user = context.User.FindFirstValue(ClaimTypes.NameIdentifier);
                    return user is not null
                        ? Window("api:" + user, limits.ApiPerMinute)
                        : Window("api-anonymous:" + address, limits.AnonymousApiPerMinute);
                }

                return RateLimitPartition.GetNoLimiter("none");
            });
        });
        return services;
    }

    private static RateLimitPartition<string> Window(string key, int perMinute) =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(1, perMinute),
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        });
}
