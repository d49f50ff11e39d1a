using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Aliases;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Artifacts.Headers;
using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Hub;

/// <summary>
/// The reads behind the Hub-compatible API (<c>/hf</c>, docs/hub-compat.md): repo ids, revisions, trees, refs and files
/// in Hub terms, on top of the services the REST API uses, with the same access rule. It only reads. Every lookup of a
/// repo goes through <see cref="FindModelAsync"/>, the one place a visibility rule for models applies to this API.
/// </summary>
/// <remarks>
/// Access is checked where a request starts, in <see cref="ResolveAsync"/> (and the list, refs and whoami): a
/// <see cref="HubRevision"/> is made only there, after the check, and lives for the one request that asked for it, so
/// the reads that take one do not repeat it.
/// Absence is a <see cref="NotFoundException"/> with a <see cref="Code"/> the wire layer turns into the Hub's
/// <c>X-Error-Code</c>: an unknown (or invisible) repo, an unknown revision, a missing file.
/// </remarks>
public sealed class HubService(
    IOptions<HubCompatOptions> options,
    IDbContextFactory<RegistryDbContext> dbFactory,
    AccessGuard guard,
    ModelService models,
    VersionService versions,
    VersionReferences references,
    ArtifactService artifacts,
    CardService cards)
{
    /// <summary>The <see cref="RegistryException.Code"/>s of this API's 404s.</summary>
    public static class Code
    {
        public const string RepoNotFound = "repo_not_found";
        public const string RevisionNotFound = "revision_not_found";
        public const string EntryNotFound = "entry_not_found";
    }

    /// <summary>The owner part of every repo id (<c>Registry:HubCompat:Namespace</c>).</summary>
    public string Namespace => options.Value.Namespace;

    /// <summary><c>{namespace}/{model}</c>.</summary>
    public string RepoId(string modelName) => $"{Namespace}/{modelName}";

    /// <summary>The acting user, for <c>whoami-v2</c>: 403 when the account is locked.</summary>
    public async Task<HubUser> WhoAmIAsync(Actor actor, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.Browse, ct);
        var roles = await guard.CurrentRolesAsync(db, actor.UserId, ct) ?? new HashSet<string>();
        var user = await db.Users.AsNoTracking().Where(u => u.Id == actor.UserId)
            .Select(u => new { u.Email, u.DisplayName }).SingleOrDefaultAsync(ct);
        var email = user?.Email ?? actor.DisplayName;
        var fullName = string.IsNullOrWhiteSpace(user?.DisplayName) ? email : user.DisplayName;
        return new HubUser(actor.UserId, email, email, fullName, [Roles.Viewer, .. roles.Order(StringComparer.Ordinal)]);
    }

    /// <summary>A page of the models the actor can see, with the commit of each one's <c>main</c>.</summary>
    public async Task<HubModelPage> ListModelsAsync(Actor actor, HubModelQuery query, CancellationToken ct = default)
    {
        await DemandBrowseAsync(actor, ct);
        if (query.Author is { } author && !string.Equals(author, Namespace, StringComparison.Ordinal))
        {
            return new HubModelPage([], false);
        }

        var (sort, descending) = query.Sort switch
        {
            "createdAt" => (ModelSort.Created, query.Descending ?? true),
            "id" or "modelId" => (ModelSort.Name, query.Descending ?? false),
            _ => (ModelSort.Updated, query.Descending ?? true),
        };
        var page = await models.ListAsync(new ModelQuery(query.Search, query.Filter, query.PipelineTag, null, sort, descending,
            query.Page, query.Limit), ct);
        var productionNumbers = page.Items.Where(m => m.ProductionVersion is not null).Select(m => m.Name).ToList();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var commits = (await db.Versions.AsNoTracking()
                .Where(v => v.Stage == Stage.Production && productionNumbers.Contains(v.Model.Name))
                .Select(v => new { v.Model.Name, v.Digest }).ToListAsync(ct))
            .ToDictionary(v => v.Name, v => VersionManifest.CommitOf(v.Digest), StringComparer.Ordinal);
        var items = page.Items.Select(m => new HubModelSummary(RepoId(m.Name), m.Name, InternalId(m.Name), commits.GetValueOrDefault(m.Name),
            m.UpdatedAt, m.CreatedAt, Tags(m.Tags, m.Task), m.Task)).ToList();
        return new HubModelPage(items, (long)query.Page * query.Limit < page.Total);
    }

    /// <summary>
    /// The version <paramref name="revision"/> names in the repo <paramref name="owner"/>/<paramref name="model"/>
    /// (<paramref name="owner"/> null for a bare model name). 404 <see cref="Code.RepoNotFound"/> for an unknown repo,
    /// another namespace, or a model the actor cannot see; 404 <see cref="Code.RevisionNotFound"/> for a revision that
    /// names no version; 409 for a digest prefix of several versions.
    /// </summary>
    public async Task<HubRevision> ResolveAsync(Actor actor, string? owner, string model, string revision, CancellationToken ct = default)
    {
        var found = await FindModelAsync(actor, owner, model, ct);
        int number;
        try
        {
            number = await references.ResolveAsync(found.Name, HubRevisionNames.ToReference(revision), ct);
        }
        catch (Exception e) when (e is NotFoundException or ValidationFailedException)
        {
            throw new NotFoundException($"Repo '{RepoId(found.Name)}' has no revision '{Printable(revision)}': use main (the Production "
                + "version), staging, latest, v<number>, an alias, or a commit.", Code.RevisionNotFound);
        }

        var version = await versions.GetAsync(found.Name, number, ct);
        return new HubRevision(RepoId(found.Name), found.Name, number, version.Commit, version.Digest, version.Stage, version.UpdatedAt);
    }

    /// <summary>What the Hub's model info says about a revision: files, card data, tags, task and library.</summary>
    public async Task<HubRepo> GetRepoAsync(HubRevision revision, CancellationToken ct = default)
    {
        var model = await models.GetAsync(revision.ModelName, ct);
        var version = await versions.GetAsync(revision.ModelName, revision.Number, ct);
        var files = await artifacts.ListAsync(revision.ModelName, revision.Number, ct);
        var card = await CardOfAsync(revision, ct);
        var tree = HubTree.Build(files, card is null ? null : new CardFile(card.Revision.SizeBytes, card.Revision.Sha256));
        var cardData = card is null ? null : CardFrontMatterJson.Read(card.Markdown);
        var cardMeta = card is null ? CardMetadata.None : CardFrontMatter.Parse(card.Markdown);

        var pipelineTag = model.Task ?? cardMeta.PipelineTag;
        var library = cardData?["library_name"] is { } l && l.GetValueKind() == System.Text.Json.JsonValueKind.String
            ? l.GetValue<string>()
            : files.Any(f => f.Kind == ArtifactKind.ModelConfig) && files.Any(f => f.Kind is ArtifactKind.Safetensors or ArtifactKind.Pickle)
                ? "transformers"
                : null;
        var format = version.Format is WeightFormat.Unknown or WeightFormat.Other ? null : version.Format.ToString().ToLowerInvariant();
        var license = version.License ?? cardMeta.License;
        var tags = Tags([.. model.Tags, .. version.Tags, .. cardMeta.Tags, .. Optional(format), .. Optional(library),
            .. Optional(license is null ? null : $"license:{license}")], pipelineTag);
        return new HubRepo(revision, InternalId(model.Name), Namespace, model.CreatedAt, tags, pipelineTag, library, cardData,
            tree.Files.ToList());
    }

    /// <summary>The tree under <paramref name="path"/> ("" for the root); 404 <see cref="Code.EntryNotFound"/> when it is no directory.</summary>
    public async Task<IReadOnlyList<HubEntry>> TreeAsync(HubRevision revision, string path, bool recursive, CancellationToken ct = default)
    {
        var tree = await TreeOfAsync(revision, ct);
        return tree.List(path, recursive)
            ?? throw new NotFoundException($"'{Printable(path)}' is not a directory of {revision.RepoId} at {revision.Commit}.", Code.EntryNotFound);
    }

    /// <summary>The entries at <paramref name="paths"/> that exist (files or directories), in the order asked.</summary>
    public async Task<IReadOnlyList<HubEntry>> PathsInfoAsync(HubRevision revision, IEnumerable<string> paths, CancellationToken ct = default)
    {
        var tree = await TreeOfAsync(revision, ct);
        return paths.Select(tree.Find).OfType<HubEntry>().DistinctBy(e => e.Path).ToList();
    }

    /// <summary>
    /// The repo's refs: the branch <c>main</c> while a version is in Production, and as tags <c>production</c>,
    /// <c>staging</c>, <c>latest</c>, every alias and <c>v{n}</c> for every version (newest first).
    /// </summary>
    public async Task<HubRefs> RefsAsync(Actor actor, string? owner, string model, CancellationToken ct = default)
    {
        var found = await FindModelAsync(actor, owner, model, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var all = await db.Versions.AsNoTracking().Where(v => v.Model.Name == found.Name).OrderByDescending(v => v.Number)
            .Select(v => new { v.Number, v.Stage, v.Digest }).ToListAsync(ct);
        var aliases = await db.Aliases.AsNoTracking().Where(a => a.Model.Name == found.Name)
            .Select(a => new { a.Name, a.Version.Digest }).ToListAsync(ct);

        static HubRef Tag(string name, string digest) => new(name, $"refs/tags/{name}", VersionManifest.CommitOf(digest));
        var branches = new List<HubRef>();
        var tags = new List<HubRef>();
        if (all.FirstOrDefault(v => v.Stage == Stage.Production) is { } production)
        {
            branches.Add(new HubRef(HubRevisionNames.Main, $"refs/heads/{HubRevisionNames.Main}", VersionManifest.CommitOf(production.Digest)));
            tags.Add(Tag(VersionReference.Production, production.Digest));
        }

        if (all.FirstOrDefault(v => v.Stage == Stage.Staging) is { } staging)
        {
            tags.Add(Tag(VersionReference.Staging, staging.Digest));
        }

        if (all.FirstOrDefault() is { } latest)
        {
            tags.Add(Tag(VersionReference.Latest, latest.Digest));
        }

        tags.AddRange(aliases.OrderBy(a => a.Name, StringComparer.Ordinal).Select(a => Tag(a.Name, a.Digest)));
        tags.AddRange(all.Select(v => Tag(HubRevisionNames.Tag(v.Number), v.Digest)));
        return new HubRefs(branches, tags);
    }

    /// <summary>
    /// Opens a file for an answer the registry gives itself rather than the REST download's
    /// (<see cref="ArtifactService.DownloadAsync"/>, which may redirect to a presigned URL): the model card as
    /// <c>README.md</c> (not a stored file), and any file for a <c>HEAD</c>. A presigned URL is signed for GET, and
    /// @huggingface/hub follows a HEAD's redirect with HEAD (its <c>fileExists</c>), which the store would refuse;
    /// huggingface_hub reads a HEAD's headers either way. Null when neither applies. No bytes are read for a HEAD.
    /// </summary>
    public async Task<HubFile?> OpenHereAsync(HubRevision revision, string path, bool head, CancellationToken ct = default)
    {
        if (path == HubTree.CardPath && await CardOfAsync(revision, ct) is { } card)
        {
            var bytes = Encoding.UTF8.GetBytes(card.Markdown);
            var info = new ArtifactInfo(HubTree.CardPath, bytes.Length, card.Revision.Sha256, "text/markdown; charset=utf-8",
                ArtifactKind.Other, false, null, [], null, card.Revision.Author, card.Revision.CreatedAt);
            var entry = HubTree.Build([], new CardFile(bytes.Length, card.Revision.Sha256)).Find(HubTree.CardPath)!;
            return new HubFile(revision, entry, new ArtifactContent(info, new MemoryStream(bytes, writable: false)));
        }

        if (!head)
        {
            return null;
        }

        ArtifactContent content;
        try
        {
            content = await artifacts.OpenAsync(revision.ModelName, revision.Number, path, partial: false, ct);
        }
        catch (Exception e) when (IsMissingFile(e))
        {
            throw EntryNotFound(revision, path);
        }

        return new HubFile(revision, HubTree.Build([content.Info], null).Find(content.Info.Path)!, content);
    }

    /// <summary>Whether a download failed because the revision has no such file (404, or a path no file can have).</summary>
    public static bool IsMissingFile(Exception e) => e is NotFoundException { Code: null } or ValidationFailedException;

    /// <summary>A missing file in Hub terms: 404 <see cref="Code.EntryNotFound"/> (see <see cref="IsMissingFile"/>).</summary>
    public static NotFoundException EntryNotFound(HubRevision revision, string path) =>
        new($"{revision.RepoId} at {revision.Commit} has no file '{Printable(path)}'.", Code.EntryNotFound);

    /// <summary>
    /// The model a repo id names, for an actor allowed to read it. The one place this API decides whether a repo exists
    /// for the caller: a visibility rule for models belongs here (to anyone who may not see it, it does not exist).
    /// </summary>
    private async Task<ModelInfo> FindModelAsync(Actor actor, string? owner, string model, CancellationToken ct)
    {
        await DemandBrowseAsync(actor, ct);
        var repo = owner is null ? model : $"{owner}/{model}";
        if (owner is not null && !string.Equals(owner, Namespace, StringComparison.Ordinal) || !ModelName.IsValid(model))
        {
            throw RepoNotFound(repo);
        }

        try
        {
            return await models.GetAsync(model, ct);
        }
        catch (NotFoundException)
        {
            throw RepoNotFound(repo);
        }
    }

    private async Task DemandBrowseAsync(Actor actor, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.Browse, ct);
    }

    private async Task<HubTree> TreeOfAsync(HubRevision revision, CancellationToken ct)
    {
        var files = await artifacts.ListAsync(revision.ModelName, revision.Number, ct);
        var card = await CardOfAsync(revision, ct);
        return HubTree.Build(files, card is null ? null : new CardFile(card.Revision.SizeBytes, card.Revision.Sha256));
    }

    /// <summary>The version's card when it has a non-empty one (an empty card is no card, as in the digest).</summary>
    private async Task<ModelCard?> CardOfAsync(HubRevision revision, CancellationToken ct) =>
        await cards.GetAsync(revision.ModelName, revision.Number, ct: ct) is { Markdown.Length: > 0 } card ? card : null;

    private NotFoundException RepoNotFound(string repo) => new(
        $"Repository '{Printable(repo)}' not found. Repo ids are '{Namespace}/<model>' (or just '<model>'), for models you can read.",
        Code.RepoNotFound);

    /// <summary>A stable 24-hex id for a model (the Hub's <c>_id</c>): model names never change.</summary>
    private static string InternalId(string modelName) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("model:" + modelName)))[..24];

    private static IReadOnlyList<string> Tags(IEnumerable<string> tags, string? pipelineTag) =>
        tags.Concat(Optional(pipelineTag)).Where(t => !string.IsNullOrWhiteSpace(t)).Distinct(StringComparer.Ordinal).ToList();

    private static IEnumerable<string> Optional(string? value) => value is null ? [] : [value];

    /// <summary>At most 100 printable characters of what a client sent, for messages and headers.</summary>
    private static string Printable(string value)
    {
        var clean = new string(value.Select(c => char.IsControl(c) ? '?' : c).Take(100).ToArray());
        return value.Length > 100 ? clean + "…" : clean;
    }
}
