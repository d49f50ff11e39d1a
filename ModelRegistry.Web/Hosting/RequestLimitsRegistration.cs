using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ModelRegistry.Web.Hosting;

internal static class RequestLimitsRegistration
{
    /// <summary>Request bodies other than file uploads (forms, sign-in, JSON); the API group's own limit is lower.</summary>
    public const long MaxOtherBodyBytes = 4 * 1024 * 1024;

    /// <summary>Kestrel's body size and minimum data rate, socket reads, and form limits.</summary>
    public static WebApplicationBuilder AddRegistryRequestLimits(this WebApplicationBuilder builder)
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
        services.AddLargeBlockMemoryPool();
        services.Configure<FormOptions>(forms =>
        {
            forms.MultipartBodyLengthLimit = MaxOtherBodyBytes;
            forms.BufferBodyLengthLimit = MaxOtherBodyBytes;
        });
        return builder;
    }

    /// <summary>
    /// Kestrel reads the socket into its memory pool's blocks, one block per system call: 64 KiB blocks instead of its
    /// 4 KiB ones make a streamed upload a sixteenth of the calls (<see cref="LargeBlockMemoryPool"/>, decision 0032).
    /// Kestrel registers its own factory with <c>AddSingleton</c> when <c>UseKestrel</c> runs, and the last registration
    /// wins: <c>WebApplication.CreateBuilder</c> calls it before any of ours, so this one stands.
    /// </summary>
    public static IServiceCollection AddLargeBlockMemoryPool(this IServiceCollection services) =>
        services.AddSingleton<IMemoryPoolFactory<byte>, LargeBlockMemoryPoolFactory>();
}
