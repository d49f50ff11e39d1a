using System.Globalization;

namespace ModelRegistry.Web.Components.Shared;

/// <summary>How numbers, sizes and times read in the dashboard.</summary>
public static class Format
{
    /// <summary>8030261248 → "8.03 B"; 109482240 → "109.5 M".</summary>
    public static string Parameters(long? count) => count switch
    {
        null => "—",
        >= 1_000_000_000_000 => (count.Value / 1e12).ToString("0.##", CultureInfo.InvariantCulture) + " T",
        >= 1_000_000_000 => (count.Value / 1e9).ToString("0.##", CultureInfo.InvariantCulture) + " B",
        >= 1_000_000 => (count.Value / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + " M",
        >= 1_000 => (count.Value / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + " K",
        _ => count.Value.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>131072 → "131,072 tokens".</summary>
    public static string Context(int? tokens) =>
        tokens is null ? "—" : tokens.Value.ToString("N0", CultureInfo.InvariantCulture) + " tokens";

    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>"3 minutes ago", "2 days ago"; exact time in a tooltip.</summary>
    public static string Ago(DateTimeOffset t, DateTimeOffset now)
    {
        var d = now - t;
        return d.TotalSeconds switch
        {
            < 60 => "just now",
            < 3600 => Plural((int)d.TotalMinutes, "minute"),
            < 86400 => Plural((int)d.TotalHours, "hour"),
            < 86400 * 30 => Plural((int)d.TotalDays, "day"),
            _ => t.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        };
    }

    /// <summary>Decimal units, as model hubs show sizes: 4,976,698,672 → "4.98 GB"; 97 → "97 B".</summary>
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB", "PB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1000 && unit < units.Length - 1)
        {
            value /= 1000;
            unit++;
        }

        var digits = unit == 0 ? "0" : value >= 100 ? "0" : value >= 10 ? "0.#" : "0.##";
        return value.ToString(digits, CultureInfo.InvariantCulture) + " " + units[unit];
    }

    public static string Text(string? value) => string.IsNullOrWhiteSpace(value) ? "—" : value;

    /// <summary>True for http(s) links that are safe to render as anchors.</summary>
    public static bool IsWebLink(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);

    private static string Plural(int n, string unit) => $"{n} {unit}{(n == 1 ? "" : "s")} ago";
}
