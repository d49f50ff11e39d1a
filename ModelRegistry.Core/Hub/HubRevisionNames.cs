using System.Globalization;
using System.Text.RegularExpressions;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Hub;

/// <summary>
/// How a Hub revision names a version (docs/design.md, "Hub-compatible read API"): <c>main</c> and <c>HEAD</c> (the JS
/// client's default) mean the Production version; <c>v{n}</c> means version n; everything else is a
/// <see cref="VersionReference"/> (a number, <c>latest</c>, <c>production</c>, <c>staging</c>, an alias, a commit or
/// digest prefix). Aliases can never be spelled <c>main</c> or <c>v</c> + digits (<see cref="Aliases.AliasName"/>), so
/// nothing is shadowed.
/// </summary>
public static partial class HubRevisionNames
{
    /// <summary>The branch every Hub client reads by default.</summary>
    public const string Main = "main";

    /// <summary>What @huggingface/hub sends when no revision is given.</summary>
    public const string Head = "HEAD";

    [GeneratedRegex(@"^v([1-9][0-9]{0,8})\z", RegexOptions.CultureInvariant)]
    private static partial Regex Numbered();

    /// <summary>The version reference <paramref name="revision"/> stands for.</summary>
    public static string ToReference(string revision)
    {
        if (revision is Main or Head)
        {
            return VersionReference.Production;
        }

        return Numbered().Match(revision) is { Success: true } m
            ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture)
            : revision;
    }

    /// <summary>The tag a version is listed under in <c>refs</c>.</summary>
    public static string Tag(int number) => $"v{number.ToString(CultureInfo.InvariantCulture)}";
}
