using System.Text.RegularExpressions;
using ModelRegistry.Core.Common;

namespace ModelRegistry.Core.Models;

/// <summary>The rule for a model's unique name: a lowercase slug, safe in URLs and never used as a path.</summary>
public static partial class ModelName
{
    /// <summary>
    /// Anchored with <c>\z</c>, not <c>$</c>: in .NET <c>$</c> also matches before a final "\n", so "llama\n" would pass.
    /// </summary>
    public const string Pattern = @"^[a-z0-9][a-z0-9._-]{0,99}\z";

    public const string Rule =
        "A model name is 1–100 characters of lowercase letters, digits, '.', '_' or '-', starting with a letter or digit.";

    [GeneratedRegex(Pattern, RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex Regex();

    /// <summary>Whether <paramref name="name"/> is a legal model name. Also refuses "..", which the pattern alone allows.</summary>
    public static bool IsValid(string? name) =>
        name is not null && Regex().IsMatch(name) && !name.Contains("..", StringComparison.Ordinal) && !IsReserved(name);

    /// <summary>Names that would collide with dashboard routes (<c>/models/new</c>).</summary>
    public static bool IsReserved(string name) => name is "new";

    /// <summary>Throws <see cref="ValidationFailedException"/> naming the rule when the name is not legal.</summary>
    public static string Validate(string? name)
    {
        if (name is not null && IsReserved(name))
        {
            throw ValidationFailedException.For("name", $"'{name}' is reserved (it is a dashboard route). {Rule}");
        }

        if (!IsValid(name))
        {
            throw ValidationFailedException.For("name", $"'{Printable(name)}' is not a valid model name. {Rule}");
        }

        return name!;
    }

    private static string Printable(string? s)
    {
        if (s is null)
        {
            return "";
        }

        var clipped = s.Length > 40 ? s[..40] + "…" : s;
        return new string(clipped.Select(c => Input.IsLineBreakOrControl(c) ? '?' : c).ToArray());
    }
}
