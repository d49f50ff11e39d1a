using System.Globalization;
using System.Text;
using ModelRegistry.Core.Common;

namespace ModelRegistry.Core.Artifacts;

/// <summary>
/// The rule for a file's path inside a version (docs/design.md, "Storage rules"). The path is only a name shown to
/// people and used as a key: bytes are stored under their hash, so no path ever reaches the file system.
/// The rule still refuses anything that could mean "somewhere else" to a client that later writes the files
/// out (a download script, <c>huggingface-cli</c>, a Windows checkout), or that hides what it is.
/// </summary>
public static class ArtifactPath
{
    /// <summary>Real repositories stay far below; and model/number/path must fit an audit entity id (450).</summary>
    public const int MaxLength = 300;
    public const int MaxSegments = 32;
    public const int MaxSegmentLength = 255;

    /// <summary>
    /// The path in normal form (Unicode NFC), or a 400 when it is not a safe relative path: empty, a leading
    /// <c>/</c>, empty segments, <c>.</c> or <c>..</c> segments, backslashes, a drive letter or other colon,
    /// <c>;</c>, a percent sign (the server has already decoded the URL once, so a <c>%</c> left over is double
    /// encoding or an encoded slash), control, invisible formatting or line separator characters, a name ending in a
    /// dot or a space.
    /// </summary>
    public static string Normalize(string? raw)
    {
        if (string.IsNullOrEmpty(raw))
        {
            throw Invalid("A file needs a path, e.g. model.safetensors or tokenizer/tokenizer.json.");
        }

        if (raw.Length > MaxLength)
        {
            throw Invalid($"A file path may be at most {MaxLength} characters.");
        }

        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            var pair = char.IsHighSurrogate(c) && i + 1 < raw.Length && char.IsLowSurrogate(raw[i + 1]);
            var problem = c switch
            {
                '\\' => "backslashes (use / between folders)",
                ':' => "colons (drive letters, alternate data streams)",
                ';' => "semicolons",
                '%' => "percent signs (percent-encoding is decoded once; a % left over is double encoding or an encoded slash)",
                _ when char.IsControl(c) => "control characters",
                _ when char.IsSurrogate(c) && !pair => "broken Unicode",
                _ when CharUnicodeInfo.GetUnicodeCategory(raw, i) == UnicodeCategory.Format => "invisible formatting characters",
                _ when CharUnicodeInfo.GetUnicodeCategory(raw, i) is UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
                    => "line or paragraph separators",
                _ => null,
            };
            if (problem is not null)
            {
                throw Invalid($"A file path may not contain {problem}.");
            }

            if (pair)
            {
                i++;
            }
        }

        string path;
        try
        {
            path = raw.Normalize(NormalizationForm.FormC);
        }
        catch (ArgumentException)
        {
            throw Invalid("A file path must be valid Unicode.");
        }

        if (path.StartsWith('/'))
        {
            throw Invalid("A file path is relative to the version: no leading '/'.");
        }

        var segments = path.Split('/');
        if (segments.Length > MaxSegments)
        {
            throw Invalid($"A file path may have at most {MaxSegments} folders.");
        }

        foreach (var segment in segments)
        {
            if (segment.Length == 0)
            {
                throw Invalid("A file path may not have empty segments ('//' or a trailing '/').");
            }

            if (segment is "." or "..")
            {
                throw Invalid("A file path may not contain '.' or '..' segments.");
            }

            if (segment.Length > MaxSegmentLength)
            {
                throw Invalid($"Each part of a file path may be at most {MaxSegmentLength} characters.");
            }

            if (segment[^1] == '.' || char.IsWhiteSpace(segment[^1]))
            {
                // Windows drops a trailing dot or space: "weights.bin." is written out as "weights.bin", another file
                // than the one the registry checked (and flagged, or not) under its name.
                throw Invalid($"A file or folder name may not end in a dot or a space ('{segment}').");
            }
        }

        return path;
    }

    /// <summary>The last segment: <c>config.json</c> of <c>text/config.json</c>.</summary>
    public static string FileName(string path) => path[(path.LastIndexOf('/') + 1)..];

    /// <summary>The lowercase extension with its dot, or "".</summary>
    public static string Extension(string path)
    {
        var name = FileName(path);
        var dot = name.LastIndexOf('.');
        return dot <= 0 ? "" : name[dot..].ToLowerInvariant();
    }

    private static ValidationFailedException Invalid(string message) => ValidationFailedException.For("path", message);
}
