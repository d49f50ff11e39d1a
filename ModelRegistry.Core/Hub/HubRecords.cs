using System.Text.Json.Nodes;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Lifecycle;

namespace ModelRegistry.Core.Hub;

/// <summary>A version as a Hub revision names it: which model, which version, and its commit. Only Core makes one.</summary>
public sealed record HubRevision
{
    internal HubRevision(string repoId, string modelName, int number, string commit, string digest, Stage stage, DateTimeOffset updatedAt)
    {
        RepoId = repoId;
        ModelName = modelName;
        Number = number;
        Commit = commit;
        Digest = digest;
        Stage = stage;
        UpdatedAt = updatedAt;
    }

    /// <summary><c>{namespace}/{model}</c>.</summary>
    public string RepoId { get; }
    public string ModelName { get; }
    public int Number { get; }
    /// <summary>The first 40 hex digits of the version's digest.</summary>
    public string Commit { get; }
    public string Digest { get; }
    public Stage Stage { get; }
    /// <summary>When the version's content last changed: the date of its "commit".</summary>
    public DateTimeOffset UpdatedAt { get; }

    /// <summary>The title of the version's "commit", as <c>lastCommit.title</c> shows it.</summary>
    public string CommitTitle => $"{ModelName} v{Number}";
}

/// <summary>A weight file's Git LFS facts: what clients verify the bytes against.</summary>
/// <param name="Sha256">The file's SHA-256 (the LFS object id).</param>
/// <param name="PointerSize">The size of the LFS pointer file that would stand for it in git.</param>
public sealed record HubLfs(string Sha256, long Size, int PointerSize);

/// <summary>A file or a directory of a revision's tree.</summary>
/// <param name="IsDirectory">A directory (implied by the paths of the files under it).</param>
/// <param name="Oid">
/// A file's object id: for an LFS file the git blob id of its pointer (as on the Hub), for any other file its SHA-256
/// (the registry keeps no git objects); for a directory a digest of its entries.
/// </param>
/// <param name="Lfs">Set for weight files (<see cref="HubTree.IsLfs"/>).</param>
public sealed record HubEntry(string Path, bool IsDirectory, long Size, string Oid, HubLfs? Lfs)
{
    /// <summary>The SHA-256 of a file's bytes (null for a directory).</summary>
    public string? Sha256 { get; init; }
}

/// <summary>A revision with what the Hub's model info says about it.</summary>
/// <param name="InternalId">A stable 24-hex id (the Hub's <c>_id</c>).</param>
/// <param name="Tags">Model, version and card tags, the weight format, the library, <c>license:…</c>, de-duplicated.</param>
/// <param name="PipelineTag">The model's task, else the card's <c>pipeline_tag</c>.</param>
/// <param name="LibraryName">The card's <c>library_name</c>, else <c>transformers</c> for a config.json with weights.</param>
/// <param name="CardData">The card's YAML front matter as JSON (null without front matter, or when it cannot be read).</param>
/// <param name="Files">Every file of the revision, <c>README.md</c> (the card) included, by path.</param>
public sealed record HubRepo(
    HubRevision Revision,
    string InternalId,
    string Author,
    DateTimeOffset CreatedAt,
    IReadOnlyList<string> Tags,
    string? PipelineTag,
    string? LibraryName,
    JsonObject? CardData,
    IReadOnlyList<HubEntry> Files);

/// <summary>A model in the Hub's model list.</summary>
/// <param name="Commit">The commit of <c>main</c> (the Production version), null when no version is in Production.</param>
public sealed record HubModelSummary(
    string RepoId,
    string ModelName,
    string InternalId,
    string? Commit,
    DateTimeOffset LastModified,
    DateTimeOffset CreatedAt,
    IReadOnlyList<string> Tags,
    string? PipelineTag);

/// <summary>A search of the Hub's model list.</summary>
/// <param name="Author">Only this namespace (any other gives an empty list).</param>
/// <param name="Filter">A tag the model must carry.</param>
/// <param name="Sort"><c>lastModified</c> (default), <c>createdAt</c> or <c>id</c>; anything else sorts like lastModified.</param>
/// <param name="Descending">Null: newest first for dates, A–Z for <c>id</c>.</param>
public sealed record HubModelQuery(
    string? Search = null,
    string? Author = null,
    string? Filter = null,
    string? PipelineTag = null,
    string? Sort = null,
    bool? Descending = null,
    int Page = 1,
    int Limit = 50);

/// <summary>A page of the model list and whether another follows.</summary>
public sealed record HubModelPage(IReadOnlyList<HubModelSummary> Items, bool HasMore);

/// <summary>A named pointer at a commit: <c>main</c> (a branch) or a tag (<c>production</c>, an alias, <c>v3</c> …).</summary>
public sealed record HubRef(string Name, string Ref, string TargetCommit);

/// <summary>A repo's branches and tags.</summary>
public sealed record HubRefs(IReadOnlyList<HubRef> Branches, IReadOnlyList<HubRef> Tags);

/// <summary>The signed-in user as <c>whoami-v2</c> describes them.</summary>
public sealed record HubUser(string Id, string Name, string Email, string FullName, IReadOnlyList<string> Roles);

/// <summary>An open file of a revision: what it is and its bytes (seekable, for ranges). Dispose it.</summary>
public sealed class HubFile(HubRevision revision, HubEntry entry, ArtifactContent content) : IAsyncDisposable
{
    public HubRevision Revision { get; } = revision;
    public HubEntry Entry { get; } = entry;

    /// <summary>The bytes with their description (content type, upload time), as the REST download serves them.</summary>
    public ArtifactContent Content { get; } = content;

    public ValueTask DisposeAsync() => Content.DisposeAsync();
}
