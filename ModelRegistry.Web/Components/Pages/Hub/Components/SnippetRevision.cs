using System.Text.RegularExpressions;

namespace ModelRegistry.Web.Components.Pages.Hub.Components;

/// <summary>Which revision a snippet loads: the Production stage (it moves), one version (v3), or one commit (never moves).</summary>
public enum RevisionKind
{
    Production,
    Version,
    Commit,
}

/// <summary>
/// A revision as the two protocols spell it (docs/design.md, "Version references" and "Hub-compatible read API"):
/// the <c>/hf</c> routes say <c>production</c>, <c>v3</c> or the 40-hex commit; the REST API and <c>mreg</c> say
/// <c>production</c>, <c>3</c> or the commit.
/// </summary>
public sealed partial record SnippetRevision
{
    private SnippetRevision(RevisionKind kind, int? number, string? commit)
    {
        Kind = kind;
        Number = number;
        Commit = commit;
    }

    public RevisionKind Kind { get; }

    /// <summary>The version number, for <see cref="RevisionKind.Version"/>.</summary>
    public int? Number { get; }

    /// <summary>The 40 lowercase hex digits, for <see cref="RevisionKind.Commit"/>.</summary>
    public string? Commit { get; }

    public static SnippetRevision Production { get; } = new(RevisionKind.Production, null, null);

    public static SnippetRevision OfVersion(int number) =>
        number >= 1 ? new(RevisionKind.Version, number, null) : throw new ArgumentOutOfRangeException(nameof(number), number, "Versions start at 1.");

    /// <summary>A commit: what <see cref="ModelRegistry.Core.Versions.VersionInfo.Commit"/> holds (the digest's first 40 hex digits).</summary>
    public static SnippetRevision OfCommit(string commit) =>
        CommitPattern().IsMatch(commit) ? new(RevisionKind.Commit, null, commit) : throw new ArgumentException("A commit is 40 lowercase hex digits.", nameof(commit));

    /// <summary>The revision in <c>/hf</c> routes and Hub clients' <c>revision</c> arguments.</summary>
    public string HubRef => Kind switch
    {
        RevisionKind.Production => "production",
        RevisionKind.Version => $"v{Number}",
        _ => Commit!,
    };

    /// <summary>The version reference in REST API routes and <c>mreg</c>.</summary>
    public string ApiRef => Kind switch
    {
        RevisionKind.Production => "production",
        RevisionKind.Version => $"{Number}",
        _ => Commit!,
    };

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitPattern();
}
