using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Persistence;

namespace ModelRegistry.Core.Versions;

/// <summary>A file as the manifest lists it.</summary>
public sealed record ManifestFile(string Path, long Size, string Sha256);

/// <summary>One difference between two manifests: a file, the card or a metadata field.</summary>
/// <param name="Part"><c>file</c>, <c>card</c> or <c>metadata</c>.</param>
/// <param name="Name">The file's path, <c>card</c>, or the metadata field's name.</param>
/// <param name="Before">What it was (null: absent), as short text.</param>
/// <param name="After">What it is now (null: absent), as short text.</param>
public sealed record ManifestChange(string Part, string Name, string? Before, string? After);

/// <summary>
/// Everything a reviewer judges about a version, in the form its digest is taken over (docs/design.md, "Version
/// digest"): the model, the number, every file's path, size and SHA-256, the card's SHA-256 and every metadata and
/// lineage field. It is built from stored hashes and fields, never by re-reading a file's bytes, so computing it costs
/// one query per part however large the weights are.
/// </summary>
public sealed class VersionManifest
{
    public const string DigestPrefix = "sha256:";

    /// <summary>Length of a commit id: the first 40 hex digits of the digest, what git-based clients expect.</summary>
    public const int CommitLength = 40;

    private VersionManifest(string model, int version, IReadOnlyList<ManifestFile> files, string? card, JsonObject metadata)
    {
        Model = model;
        Version = version;
        Files = files;
        Card = card;
        Metadata = metadata;
        Bytes = CanonicalJson.Serialize(ToJson());
        Digest = DigestPrefix + Convert.ToHexStringLower(SHA256.HashData(Bytes));
    }

    public string Model { get; }
    public int Version { get; }

    /// <summary>Sorted by path, ordinal.</summary>
    public IReadOnlyList<ManifestFile> Files { get; }

    /// <summary>The SHA-256 of the card's markdown; null when the version has no card (or an empty one).</summary>
    public string? Card { get; }

    /// <summary>Every metadata and lineage field, by its API name.</summary>
    public JsonObject Metadata { get; }

    /// <summary>The canonical JSON that is hashed, exactly as <c>GET …/manifest</c> returns it.</summary>
    public byte[] Bytes { get; }

    /// <summary><c>sha256:</c> and the lowercase hex SHA-256 of <see cref="Bytes"/>.</summary>
    public string Digest { get; }

    public string Commit => CommitOf(Digest);

    /// <summary>The commit id of a digest: its first 40 hex digits.</summary>
    public static string CommitOf(string digest) =>
        digest.StartsWith(DigestPrefix, StringComparison.Ordinal) && digest.Length >= DigestPrefix.Length + CommitLength
            ? digest.Substring(DigestPrefix.Length, CommitLength)
            : "";

    /// <summary>The short form the dashboard shows: <c>sha256:</c> and 12 hex digits.</summary>
    public static string ShortDigest(string? digest) =>
        digest is { Length: > 19 } d && d.StartsWith(DigestPrefix, StringComparison.Ordinal) ? d[..19] : digest ?? "";

    /// <summary>The manifest of <paramref name="version"/> from its fields and the given files and card hash.</summary>
    public static VersionManifest Of(string modelName, ModelVersion version, IEnumerable<ManifestFile> files, string? cardSha256) =>
        new(modelName, version.Number,
            files.OrderBy(f => f.Path, StringComparer.Ordinal).ToList(),
            string.IsNullOrEmpty(cardSha256) ? null : cardSha256,
            MetadataOf(version));

    /// <summary>
    /// The manifest of <paramref name="version"/> as the database holds it now, inside the caller's transaction (so it
    /// sees the caller's unsaved changes once they are saved: call after <c>SaveChangesAsync</c>).
    /// </summary>
    public static async Task<VersionManifest> LoadAsync(RegistryDbContext db, ModelVersion version, string modelName,
        CancellationToken ct)
    {
        var files = await db.Artifacts.AsNoTracking().Where(a => a.VersionId == version.Id)
            .Select(a => new ManifestFile(a.Path, a.Size, a.Sha256)).ToListAsync(ct);
        var card = await CardShaAsync(db, version.Id, ct);
        return Of(modelName, version, files, card);
    }

    /// <summary>The SHA-256 of a version's card now (its newest revision), null when it has none or an empty one.</summary>
    internal static async Task<string?> CardShaAsync(RegistryDbContext db, long versionId, CancellationToken ct)
    {
        var newest = await db.CardRevisions.AsNoTracking().Where(r => r.VersionId == versionId)
            .OrderByDescending(r => r.Number).Select(r => new { r.Sha256, r.SizeBytes }).FirstOrDefaultAsync(ct);
        return newest is { SizeBytes: > 0 } ? newest.Sha256 : null;
    }

    /// <summary>Reads a manifest back from its canonical JSON (as kept with a transition request).</summary>
    public static VersionManifest Parse(string json)
    {
        var root = JsonNode.Parse(json)?.AsObject() ?? throw new FormatException("A manifest is a JSON object.");
        var files = root["files"]!.AsArray().Select(f => new ManifestFile(
            (string)f!["path"]!, (long)f["size"]!, (string)f["sha256"]!)).ToList();
        var metadata = root["metadata"]!.AsObject().DeepClone().AsObject();
        return new VersionManifest((string)root["model"]!, (int)root["version"]!, files, (string?)root["card"], metadata);
    }

    /// <summary>What differs from <paramref name="earlier"/> to this manifest: files, card, metadata fields.</summary>
    public IReadOnlyList<ManifestChange> ChangesSince(VersionManifest earlier)
    {
        var changes = new List<ManifestChange>();
        var before = earlier.Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        var after = Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        foreach (var path in before.Keys.Union(after.Keys).Order(StringComparer.Ordinal))
        {
            before.TryGetValue(path, out var b);
            after.TryGetValue(path, out var a);
            if (b != a)
            {
                changes.Add(new ManifestChange("file", path, b is null ? null : Describe(b), a is null ? null : Describe(a)));
            }
        }

        if (!string.Equals(earlier.Card, Card, StringComparison.Ordinal))
        {
            changes.Add(new ManifestChange("card", "card", Short(earlier.Card), Short(Card)));
        }

        foreach (var key in earlier.Metadata.Select(p => p.Key).Union(Metadata.Select(p => p.Key)).Order(StringComparer.Ordinal))
        {
            var b = earlier.Metadata[key];
            var a = Metadata[key];
            if (!JsonNode.DeepEquals(b, a))
            {
                changes.Add(new ManifestChange("metadata", key, Text(b), Text(a)));
            }
        }

        return changes;

        static string Describe(ManifestFile f) => $"{f.Size:N0} bytes, sha256 {f.Sha256[..12]}";
        static string? Short(string? sha) => sha is null ? null : $"sha256 {sha[..Math.Min(12, sha.Length)]}";
        static string? Text(JsonNode? n) => n switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String => v.GetValue<string>(),
            _ => CanonicalJson.SerializeToString(n),
        };
    }

    /// <summary>The canonical text of the manifest.</summary>
    public string ToJsonText() => System.Text.Encoding.UTF8.GetString(Bytes);

    private JsonObject ToJson() => new()
    {
        ["model"] = Model,
        ["version"] = Version,
        ["files"] = new JsonArray(Files.Select(f => (JsonNode)new JsonObject
        {
            ["path"] = f.Path,
            ["size"] = f.Size,
            ["sha256"] = f.Sha256,
        }).ToArray()),
        ["card"] = Card,
        ["metadata"] = Metadata.DeepClone(),
    };

    private static JsonObject MetadataOf(ModelVersion v)
    {
        var m = v.Metadata;
        return new JsonObject
        {
            ["description"] = v.Description,
            ["source"] = v.Source,
            ["architecture"] = m.Architecture,
            ["baseModel"] = m.BaseModel,
            ["parameterCount"] = m.ParameterCount,
            ["contextLength"] = m.ContextLength,
            ["quantization"] = m.Quantization,
            ["format"] = m.Format.ToString().ToLowerInvariant(),
            ["license"] = m.License,
            // Tags are a set: their order is not something a reviewer judges.
            ["tags"] = new JsonArray(m.Tags.Order(StringComparer.Ordinal).Select(t => (JsonNode?)t).ToArray()),
            ["parentVersion"] = v.ParentVersionNumber,
            ["datasets"] = new JsonArray(v.Datasets.Select(d => (JsonNode?)new JsonObject
            {
                ["name"] = d.Name,
                ["version"] = d.Version,
                ["uri"] = d.Uri,
                ["sha256"] = d.Sha256,
                ["split"] = d.Split,
            }).ToArray()),
        };
    }
}
