using System.Text.RegularExpressions;
using ModelRegistry.Core.Common;

namespace ModelRegistry.Core.Deployments;

/// <summary>The rule for an environment name: a short lowercase slug such as <c>prod-eu</c> or <c>staging</c>.</summary>
public static partial class EnvironmentName
{
    /// <summary>Anchored with <c>\z</c>: <c>$</c> would also match before a final "\n".</summary>
    public const string Pattern = @"^[a-z0-9][a-z0-9._-]{0,49}\z";

    public const string Rule = "An environment is 1–50 characters of lowercase letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. prod-eu).";

    [GeneratedRegex(Pattern, RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex Regex();

    public static bool IsValid(string? name) => name is not null && Regex().IsMatch(name);

    /// <summary>
    /// The name exactly as given (never trimmed: "prod-eu\n" is not "prod-eu"); 400 naming the rule when it is missing or
    /// not a slug.
    /// </summary>
    public static string Validate(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw ValidationFailedException.For("environment", $"An environment is required. {Rule}");
        }

        return IsValid(name) ? name : throw ValidationFailedException.For("environment", $"'{Printable(name)}' is not a valid environment. {Rule}");
    }

    private static string Printable(string s)
    {
        var clean = new string(s.Take(60).Select(c => Input.IsLineBreakOrControl(c) ? '?' : c).ToArray());
        return s.Length > 60 ? clean + "…" : clean;
    }
}
