using System.Globalization;
using System.Text.Json;

namespace ModelRegistry.Web.Components.Pages.Audit.Components;

/// <summary>One line of an audit event's data as people read it: a field and its value, or what it was and what it became.</summary>
/// <param name="Field">The property path, e.g. <c>after.contextLength</c> read as <c>contextLength</c>.</param>
/// <param name="Before">The value before, for a change; null when the line is a plain value.</param>
/// <param name="After">The value (after the change, or the plain value).</param>
public sealed record AuditChangeLine(string Field, string? Before, string After, bool IsChange);

/// <summary>
/// Turns an audit event's JSON into short readable lines: a <c>before</c>/<c>after</c> pair becomes the fields that differ
/// (before → after), anything else its top-level fields with long values shortened. The raw JSON stays one click away.
/// </summary>
public static class AuditChange
{
    public const int MaxValueLength = 120;
    public const int MaxLines = 12;

    /// <summary>Fields every change moves (when it happened is the event's own time): left to the raw JSON.</summary>
    private static readonly HashSet<string> Bookkeeping = new(StringComparer.Ordinal) { "updatedAt" };

    public static IReadOnlyList<AuditChangeLine> Describe(string json)
    {
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(json);
            root = doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return [new AuditChangeLine("data", null, Shorten(json), false)];
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            return [new AuditChangeLine("data", null, Text(root), false)];
        }

        var lines = new List<AuditChangeLine>();
        var hasPair = root.TryGetProperty("before", out var before) & root.TryGetProperty("after", out var after);
        foreach (var p in root.EnumerateObject())
        {
            if (hasPair && p.NameEquals("before"))
            {
                lines.AddRange(Changes(before, after));
                continue;
            }

            if (hasPair && p.NameEquals("after"))
            {
                continue;
            }

            if (p.Value.ValueKind is JsonValueKind.Null)
            {
                continue;
            }

            lines.Add(new AuditChangeLine(p.Name, null, Text(p.Value), false));
        }

        return lines.Count > MaxLines ? [.. lines.Take(MaxLines - 1), new AuditChangeLine("…", null, $"{lines.Count - MaxLines + 1} more (see the raw JSON)", false)] : lines;
    }

    /// <summary>The fields of two objects that differ; two scalars as one change.</summary>
    private static IEnumerable<AuditChangeLine> Changes(JsonElement before, JsonElement after)
    {
        if (before.ValueKind != JsonValueKind.Object || after.ValueKind != JsonValueKind.Object)
        {
            yield return new AuditChangeLine("value", Text(before), Text(after), true);
            yield break;
        }

        var names = before.EnumerateObject().Select(p => p.Name)
            .Concat(after.EnumerateObject().Select(p => p.Name)).Distinct(StringComparer.Ordinal);
        foreach (var name in names.Where(n => !Bookkeeping.Contains(n)))
        {
            var b = before.TryGetProperty(name, out var bv) ? bv : default;
            var a = after.TryGetProperty(name, out var av) ? av : default;
            var bt = b.ValueKind == JsonValueKind.Undefined ? "—" : Text(b);
            var at = a.ValueKind == JsonValueKind.Undefined ? "—" : Text(a);
            if (!string.Equals(Raw(b), Raw(a), StringComparison.Ordinal))
            {
                yield return new AuditChangeLine(name, bt, at, true);
            }
        }
    }

    private static string Raw(JsonElement e) => e.ValueKind == JsonValueKind.Undefined ? "" : e.GetRawText();

    private static string Text(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => Readable(e.GetString() ?? ""),
        JsonValueKind.Null or JsonValueKind.Undefined => "—",
        JsonValueKind.True => "yes",
        JsonValueKind.False => "no",
        JsonValueKind.Number => e.GetRawText(),
        JsonValueKind.Array when e.GetArrayLength() == 0 => "none",
        JsonValueKind.Array when e.EnumerateArray().All(x => x.ValueKind is JsonValueKind.String or JsonValueKind.Number) =>
            Shorten(string.Join(", ", e.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString() : x.GetRawText()))),
        JsonValueKind.Array => string.Create(CultureInfo.InvariantCulture, $"{e.GetArrayLength()} items"),
        _ => Shorten(e.GetRawText()),
    };

    /// <summary>A digest by its first 12 hex digits (the whole one is in the raw JSON), a time as people write it.</summary>
    private static string Readable(string s)
    {
        if (s.Length == 71 && s.StartsWith("sha256:", StringComparison.Ordinal) && !s.AsSpan(7).ContainsAnyExcept(HexDigits))
        {
            return s[..19] + "…";
        }

        if (s.Length == 64 && !s.AsSpan().ContainsAnyExcept(HexDigits))
        {
            return s[..12] + "…";
        }

        if (s.Length is >= 20 and <= 40 && s[4] == '-' && s[10] == 'T'
            && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
        {
            return t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
        }

        return Shorten(s);
    }

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdef");

    private static string Shorten(string s) => s.Length <= MaxValueLength ? s : s[..(MaxValueLength - 1)] + "…";
}
