using ModelRegistry.Core.Common;
using ModelRegistry.Core.Models;

namespace ModelRegistry.Core.Teams;

/// <summary>A team's name follows the rule of model names: a lowercase slug, safe in URLs.</summary>
public static class TeamName
{
    public const string Rule =
        "A team name is 1–100 characters of lowercase letters, digits, '.', '_' or '-', starting with a letter or digit.";

    public const int MaxGroupLength = 256;

    public static bool IsValid(string? name) => ModelName.IsValid(name);

    /// <summary>Throws <see cref="ValidationFailedException"/> naming the rule when the name is not legal.</summary>
    public static string Validate(string? name)
    {
        if (!IsValid(name))
        {
            throw ValidationFailedException.For("name", Rule);
        }

        return name!;
    }

    /// <summary>A group name: one line, at most <see cref="MaxGroupLength"/> characters; blank is "no group".</summary>
    public static string? Group(string? group) => Input.Line("group", group, MaxGroupLength);
}
