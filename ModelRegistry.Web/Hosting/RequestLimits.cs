using System.ComponentModel.DataAnnotations;

namespace ModelRegistry.Web.Hosting;

/// <summary>
/// <c>Registry:Limits</c>: how slowly a client may send a request body before Kestrel cuts it off. A client
/// trickling an upload would otherwise hold a connection, a temporary file and an upload slot for as long as it
/// likes. The rate is averaged by Kestrel over the request; the grace period lets a slow start (TCP slow start, a
/// busy client) catch up. The default, 16 KiB/s after 15 s, is far below any real network used to move model files.
/// </summary>
public sealed class RequestLimitOptions
{
    public const string Section = "Registry:Limits";

    /// <summary>Bytes per second a request body must average once the grace period is over (0 turns the check off).</summary>
    [Range(0, int.MaxValue)]
    public double MinRequestBodyBytesPerSecond { get; set; } = 16 * 1024;

    /// <summary>Seconds before the minimum rate is enforced.</summary>
    [Range(1, 3600)]
    public double MinRequestBodyGraceSeconds { get; set; } = 15;
}
