namespace ModelRegistry.Core.Common;

/// <summary>Checks on free-text input: lengths, control characters, tag lists.</summary>
public static class Input
{
    /// <summary>
    /// A single line of free text (a display name, a description line, a search): trimmed, then no control characters and
    /// no line or paragraph separators (U+2028, U+2029) left, at most <paramref name="max"/> characters; blank → null.
    /// </summary>
    public static string? Line(string field, string? value, int max)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var v = value.Trim();
        if (v.Length > max)
        {
            throw ValidationFailedException.For(field, $"{field} must be at most {max} characters.");
        }

        if (v.Any(IsLineBreakOrControl))
        {
            throw ValidationFailedException.For(field, $"{field} must be a single line without control characters.");
        }

        return v;
    }

    /// <summary>
    /// A name (a metric, a data set, a split, a token, a tag …): taken exactly as given, never trimmed, because a name
    /// is looked up and compared as it was written: "accuracy\n" stored as "accuracy" would answer for a name nobody
    /// sent, and the other way round. No leading or trailing white space (spaces, tabs, line breaks, U+2028 …), no
    /// control characters or line separators inside, at most <paramref name="max"/> characters; blank → null.
    /// </summary>
    public static string? Name(string field, string? value, int max)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1]))
        {
            throw ValidationFailedException.For(field, $"{field} may not begin or end with spaces or line breaks.");
        }

        if (value.Length > max)
        {
            throw ValidationFailedException.For(field, $"{field} must be at most {max} characters.");
        }

        if (value.Any(IsLineBreakOrControl))
        {
            throw ValidationFailedException.For(field, $"{field} must be a single line without control characters.");
        }

        return value;
    }

    /// <summary>Control characters (which include \r, \n, U+0085) and the Unicode line and paragraph separators.</summary>
    public static bool IsLineBreakOrControl(char c) => char.IsControl(c) || c is '\u2028' or '\u2029';

    /// <summary>Multi-line text: line breaks and tabs allowed, other control characters not.</summary>
    public static string Text(string field, string? value, int max)
    {
        var v = (value ?? "").Trim();
        if (v.Length > max)
        {
            throw ValidationFailedException.For(field, $"{field} must be at most {max} characters.");
        }

        if (v.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
        {
            throw ValidationFailedException.For(field, $"{field} may not contain control characters.");
        }

        return v;
    }

    /// <summary>A SQL LIKE pattern matching <paramref name="text"/> anywhere, with LIKE's wildcards escaped by <c>\\</c>.</summary>
    public static string LikeContains(string text) =>
        "%" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal) + "%";

    /// <summary>An ISO-8601 time from a query string (UTC when it has no offset); blank → null; 400 when malformed.</summary>
    public static DateTimeOffset? Time(string field, string? value) =>
        string.IsNullOrWhiteSpace(value) ? null
        : DateTimeOffset.TryParse(value, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out var t) ? t
        : throw ValidationFailedException.For(field, $"{field} must be an ISO-8601 time, e.g. 2026-03-01 or 2026-03-01T12:00:00Z.");

    public const int MaxTags = 30;
    public const int MaxTagLength = 50;

    /// <summary>Tags: each a <see cref="Name"/> (never trimmed), lowercased, distinct, short, without commas.</summary>
    public static List<string> Tags(string field, IEnumerable<string>? tags)
    {
        var result = new List<string>();
        foreach (var raw in tags ?? [])
        {
            var tag = Name(field, raw, MaxTagLength)?.ToLowerInvariant();
            if (tag is null)
            {
                continue;
            }

            if (tag.Contains(','))
            {
                throw ValidationFailedException.For(field, "A tag may not contain a comma.");
            }

            if (!result.Contains(tag))
            {
                result.Add(tag);
            }
        }

        if (result.Count > MaxTags)
        {
            throw ValidationFailedException.For(field, $"At most {MaxTags} tags.");
        }

        return result;
    }
}
