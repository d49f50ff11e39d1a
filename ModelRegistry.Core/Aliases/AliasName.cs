using System.Text.RegularExpressions;
using ModelRegistry.Core.Common;

namespace ModelRegistry.Core.Aliases;

/// <summary>
/// The rule for an alias's name (docs/design.md, "Aliases"): a lowercase slug that can never be mistaken for another kind
/// of version reference — a number, <c>latest</c>, a stage, or a Hub revision (<c>main</c>, <c>v12</c>).
/// </summary>
public static partial class AliasName
{
    /// <summary>Anchored with <c>\z</c>: in .NET <c>$</c> also matches before a final "\n", so "champion\n" would pass.</summary>
    public const string Pattern = @"^[a-z][a-z0-9-]{0,62}\z";

    public const int MaxLength = 63;

    public const string Rule =
        "An alias is 1–63 characters of lowercase letters, digits or '-', starting with a letter; it cannot be latest, main, "
        + "production, staging, archived, or v followed by digits.";

    /// <summary>Names that already mean something as a version reference or a Hub revision.</summary>
    public static readonly IReadOnlyList<string> Reserved = ["latest", "main", "production", "staging", "archived"];

    [GeneratedRegex(Pattern, RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex Regex();

    [GeneratedRegex(@"^v[0-9]+\z", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex HubVersion();

    /// <summary>Whether <paramref name="name"/> is a legal alias.</summary>
    public static bool IsValid(string? name) => name is not null && Regex().IsMatch(name) && !IsReserved(name);

    /// <summary>Whether the name is one of <see cref="Reserved"/> or <c>v</c> followed by digits.</summary>
    public static bool IsReserved(string name) => Reserved.Contains(name, StringComparer.Ordinal) || HubVersion().IsMatch(name);

    /// <summary>The name, or <see cref="ValidationFailedException"/> (400, errors entry <c>alias</c>) naming the rule.</summary>
    public static string Validate(string? name)
    {
        if (name is not null && IsReserved(name))
        {
            throw ValidationFailedException.For("alias", $"'{name}' is reserved: it already means a version reference. {Rule}");
        }

        if (!IsValid(name))
        {
            throw ValidationFailedException.For("alias", $"'{Printable(name)}' is not a valid alias. {Rule}");
        }

        return name!;
    }

    /// <summary>A name as a message may quote it: clipped, control characters and line breaks shown as '?'.</summary>
    internal static string Printable(string? s)
    {
        if (s is null)
        {
            return "";
        }

        var clipped = s.Length > 80 ? s[..80] + "…" : s;
        return new string(clipped.Select(c => Input.IsLineBreakOrControl(c) ? '?' : c).ToArray());
    }
}
