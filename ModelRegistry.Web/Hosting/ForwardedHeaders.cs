using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.Extensions.Options;

namespace ModelRegistry.Web.Hosting;

/// <summary>
/// <c>Registry:ForwardedHeaders</c>: the reverse proxies (TLS terminators, load balancers) whose <c>X-Forwarded-For</c>,
/// <c>X-Forwarded-Proto</c> and <c>X-Forwarded-Host</c> the registry believes. Behind such a proxy the registry sees
/// plain http from the proxy's address; believing the proxy makes cookies Secure, HSTS and redirects use https, and
/// rate limits and logs count the real client. Off by default: with neither list set the headers are ignored, since
/// anybody can send them to a registry that is reached directly.
/// </summary>
public sealed class ForwardedHeaderSettings : IValidatableObject
{
    public const string Section = "Registry:ForwardedHeaders";

    /// <summary>Proxy addresses, e.g. <c>10.0.0.5</c> or <c>::1</c>.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Proxy networks in CIDR notation, e.g. <c>10.0.0.0/24</c>.</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>True when at least one proxy or network is configured (a method: validation reads every property).</summary>
    public bool IsEnabled() => Proxies().Any() || Networks().Any();

    /// <summary>The configured proxies, parsed (blank entries, as configuration layering leaves them, are skipped).</summary>
    public IEnumerable<IPAddress> Proxies() =>
        KnownProxies.Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => IPAddress.Parse(p.Trim()));

    /// <summary>The configured networks, parsed.</summary>
    public IEnumerable<System.Net.IPNetwork> Networks() =>
        KnownNetworks.Where(n => !string.IsNullOrWhiteSpace(n)).Select(n => System.Net.IPNetwork.Parse(n.Trim()));

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var proxy in KnownProxies.Where(p => !string.IsNullOrWhiteSpace(p)))
        {
            if (!IPAddress.TryParse(proxy.Trim(), out _))
            {
                yield return new ValidationResult(
                    $"{Section}:{nameof(KnownProxies)}: '{proxy}' is not an IP address (e.g. 10.0.0.5 or ::1).", [nameof(KnownProxies)]);
            }
        }

        foreach (var network in KnownNetworks.Where(n => !string.IsNullOrWhiteSpace(n)))
        {
            if (!System.Net.IPNetwork.TryParse(network.Trim(), out _))
            {
                yield return new ValidationResult(
                    $"{Section}:{nameof(KnownNetworks)}: '{network}' is not a network in CIDR notation (e.g. 10.0.0.0/24).", [nameof(KnownNetworks)]);
            }
        }
    }
}

internal static class ForwardedHeaders
{
    /// <summary>Binds and validates <see cref="ForwardedHeaderSettings"/>, and configures the framework's middleware from it.</summary>
    public static IServiceCollection AddRegistryForwardedHeaders(this IServiceCollection services)
    {
        services.AddOptions<ForwardedHeaderSettings>().BindConfiguration(ForwardedHeaderSettings.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ForwardedHeaderSettings>>((options, settings) =>
        {
            options.ForwardedHeaders = Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedFor
                | Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedProto
                | Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedHost;
            // Only what the operator listed: the framework's defaults trust loopback, which would let anybody on the
            // registry's own machine pose as any client.
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var proxy in settings.Value.Proxies())
            {
                options.KnownProxies.Add(proxy);
            }

            foreach (var network in settings.Value.Networks())
            {
                options.KnownIPNetworks.Add(network);
            }
        });
        return services;
    }

    /// <summary>First in the pipeline, and only when proxies are configured: otherwise the headers are not read at all.</summary>
    public static IApplicationBuilder UseRegistryForwardedHeaders(this IApplicationBuilder app)
    {
        var settings = app.ApplicationServices.GetRequiredService<IOptions<ForwardedHeaderSettings>>().Value;
        return settings.IsEnabled() ? app.UseForwardedHeaders() : app;
    }
}
