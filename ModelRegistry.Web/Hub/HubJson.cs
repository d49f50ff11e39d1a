using System.Globalization;
using System.Text.Json.Nodes;
using ModelRegistry.Core.Hub;

namespace ModelRegistry.Web.Hub;

/// <summary>
/// Core's Hub records in the Hub's wire format: the field names and shapes @huggingface/hub and huggingface_hub read
/// (docs/hub-compat.md lists them). Nothing here decides anything.
/// </summary>
internal static class HubJson
{
    /// <summary>The fields a model answers when no <c>expand</c> is asked for.</summary>
    private static readonly string[] DefaultModelFields =
    [
        "author", "sha", "lastModified", "createdAt", "private", "disabled", "gated", "downloads", "likes", "tags",
        "pipeline_tag", "library_name", "cardData", "siblings", "spaces", "usedStorage", "model-index",
    ];

    /// <summary>The fields a model of the list answers when no <c>expand</c> is asked for.</summary>
    private static readonly string[] DefaultListFields =
        ["author", "sha", "lastModified", "createdAt", "private", "gated", "downloads", "likes", "tags", "pipeline_tag"];

    /// <summary>What the list answers without building a model's tree and card.</summary>
    public static readonly HashSet<string> SummaryFields = [.. DefaultListFields, "disabled"];

    /// <summary>The model info of <paramref name="repo"/>: <c>_id</c>, <c>id</c>, <c>modelId</c>, and the fields <paramref name="expand"/> names (all when none).</summary>
    public static JsonObject Model(HubRepo repo, IReadOnlyCollection<string> expand)
    {
        var fields = expand.Count == 0 ? DefaultModelFields : (IEnumerable<string>)expand;
        var json = Identity(repo.InternalId, repo.Revision.RepoId);
        foreach (var field in fields.Distinct(StringComparer.Ordinal))
        {
            if (ModelField(repo, field) is { } value)
            {
                json[field] = value.Value;
            }
        }

        return json;
    }

    /// <summary>A model of the list; <paramref name="repo"/> is its <c>main</c> when fields beyond the summary were asked for.</summary>
    public static JsonObject ListItem(HubModelSummary model, HubRepo? repo, IReadOnlyCollection<string> expand)
    {
        var fields = expand.Count == 0 ? DefaultListFields : (IEnumerable<string>)expand;
        var json = Identity(model.InternalId, model.RepoId);
        foreach (var field in fields.Distinct(StringComparer.Ordinal))
        {
            var value = SummaryFields.Contains(field) ? SummaryField(model, field) : repo is null ? null : ModelField(repo, field);
            if (value is { } v)
            {
                json[field] = v.Value;
            }
        }

        return json;
    }

    /// <summary>A tree or paths-info entry; <paramref name="revision"/> adds <c>lastCommit</c>.</summary>
    public static JsonObject Entry(HubEntry entry, HubRevision? revision)
    {
        var json = new JsonObject
        {
            ["type"] = entry.IsDirectory ? "directory" : "file",
            ["oid"] = entry.Oid,
            ["size"] = entry.Size,
            ["path"] = entry.Path,
        };
        if (entry.Lfs is { } lfs)
        {
            json["lfs"] = new JsonObject { ["oid"] = lfs.Sha256, ["size"] = lfs.Size, ["pointerSize"] = lfs.PointerSize };
        }

        if (revision is not null)
        {
            json["lastCommit"] = new JsonObject
            {
                ["id"] = revision.Commit,
                ["title"] = revision.CommitTitle,
                ["date"] = Date(revision.UpdatedAt),
            };
        }

        return json;
    }

    public static JsonObject Refs(HubRefs refs, bool pullRequests)
    {
        static JsonArray List(IEnumerable<HubRef> refs) =>
            [.. refs.Select(r => (JsonNode)new JsonObject { ["name"] = r.Name, ["ref"] = r.Ref, ["targetCommit"] = r.TargetCommit })];

        var json = new JsonObject { ["branches"] = List(refs.Branches), ["converts"] = new JsonArray(), ["tags"] = List(refs.Tags) };
        if (pullRequests)
        {
            json["pullRequests"] = new JsonArray();
        }

        return json;
    }

    /// <param name="token">Whether the caller came with a bearer token (the dashboard's cookie otherwise).</param>
    public static JsonObject WhoAmI(HubUser user, string @namespace, bool token) => new()
    {
        ["type"] = "user",
        ["id"] = user.Id,
        ["name"] = user.Name,
        ["fullname"] = user.FullName,
        ["email"] = user.Email,
        ["emailVerified"] = true,
        ["isPro"] = false,
        ["canPay"] = false,
        ["avatarUrl"] = "",
        ["periodEnd"] = null,
        ["orgs"] = new JsonArray(),
        ["roles"] = new JsonArray([.. user.Roles.Select(r => (JsonNode)r)]),
        ["namespace"] = @namespace,
        ["auth"] = token
            ? new JsonObject
            {
                ["type"] = "access_token",
                ["accessToken"] = new JsonObject { ["displayName"] = "registry token", ["role"] = "read" },
            }
            : new JsonObject { ["type"] = "session" },
    };

    /// <summary>A date as the Hub writes them: UTC, milliseconds, <c>Z</c>.</summary>
    public static string Date(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static JsonObject Identity(string internalId, string repoId) =>
        new() { ["_id"] = internalId, ["id"] = repoId, ["modelId"] = repoId };

    /// <summary>A field of a model; null when the registry has nothing for it (the field is left out).</summary>
    private static Box? ModelField(HubRepo repo, string field) => field switch
    {
        "author" => new(repo.Author),
        "sha" => new(repo.Revision.Commit),
        "lastModified" => new(Date(repo.Revision.UpdatedAt)),
        "createdAt" => new(Date(repo.CreatedAt)),
        "private" or "disabled" or "gated" => new(false),
        "downloads" or "downloadsAllTime" or "likes" => new(0),
        "tags" => new(new JsonArray([.. repo.Tags.Select(t => (JsonNode)t)])),
        "pipeline_tag" => repo.PipelineTag is null ? null : new(repo.PipelineTag),
        "library_name" => repo.LibraryName is null ? null : new(repo.LibraryName),
        "cardData" => repo.CardData is null ? null : new(repo.CardData.DeepClone()),
        "model-index" => repo.CardData?["model-index"] is { } index ? new(index.DeepClone()) : null,
        "siblings" => new(new JsonArray([.. repo.Files.Select(Sibling)])),
        "spaces" => new(new JsonArray()),
        "usedStorage" => new(repo.Files.Sum(f => f.Size)),
        _ => null,
    };

    private static Box? SummaryField(HubModelSummary model, string field) => field switch
    {
        "author" => new(model.RepoId[..model.RepoId.IndexOf('/')]),
        "sha" => model.Commit is null ? null : new(model.Commit),
        "lastModified" => new(Date(model.LastModified)),
        "createdAt" => new(Date(model.CreatedAt)),
        "private" or "disabled" or "gated" => new(false),
        "downloads" or "likes" => new(0),
        "tags" => new(new JsonArray([.. model.Tags.Select(t => (JsonNode)t)])),
        "pipeline_tag" => model.PipelineTag is null ? null : new(model.PipelineTag),
        _ => null,
    };

    private static JsonNode Sibling(HubEntry file)
    {
        var json = new JsonObject { ["rfilename"] = file.Path, ["size"] = file.Size, ["blobId"] = file.Oid };
        if (file.Lfs is { } lfs)
        {
            json["lfs"] = new JsonObject { ["sha256"] = lfs.Sha256, ["size"] = lfs.Size, ["pointerSize"] = lfs.PointerSize };
        }

        return json;
    }

    /// <summary>A present value (which may itself be JSON null).</summary>
    private sealed record Box(JsonNode? Value);
}
