using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;

namespace ModelRegistry.Core.Versions;

/// <summary>Creates, lists and describes a model's versions.</summary>
public sealed partial class VersionService(
    IDbContextFactory<RegistryDbContext> dbFactory,
    AccessGuard guard,
    AuditTrail audit,
    VersionWriter writer,
    TimeProvider clock)
{
    public const int MaxDatasets = 100;
    public const long MaxParameterCount = 100_000_000_000_000; // 100 T: well past any model, well inside long.
    public const int MaxContextLength = 100_000_000;

    [GeneratedRegex(@"^[0-9a-f]{64}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Sha256Hex();

    /// <summary>A page of a model's versions, newest first; 404 when the model is unknown.</summary>
    public async Task<PagedResult<VersionInfo>> ListAsync(string modelName, int? page = null, int? pageSize = null,
        CancellationToken ct = default)
    {
        var paging = PageRequest.From(page, pageSize);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var model = await db.Models.AsNoTracking().Where(m => m.Name == modelName)
            .Select(m => new { m.Id, m.VersionCount, m.LastVersionNumber }).SingleOrDefaultAsync(ct)
            ?? throw ModelService.NotFound(modelName);
        var total = model.VersionCount;
        var versions = db.Versions.AsNoTracking().Where(v => v.ModelId == model.Id).OrderByDescending(v => v.Number);
        List<ModelVersion> items;
        if (paging.Skip >= total)
        {
            items = [];
        }
        else if (total == model.LastVersionNumber)
        {
            // No number missing: the page starts at a known number, and the index on (ModelId, Number) seeks
            // straight to it however deep the page is, instead of stepping over every version before it.
            var first = model.LastVersionNumber - paging.Skip;
            items = await versions.Where(v => v.Number <= first).Take(paging.PageSize).ToListAsync(ct);
        }
        else
        {
            items = await versions.Skip(paging.Skip).Take(paging.PageSize).ToListAsync(ct);
        }

        return new PagedResult<VersionInfo>(items.Select(v => ToInfo(modelName, v)).ToList(), total);
    }

    /// <summary>One version; 404 when the model or the version is unknown.</summary>
    public async Task<VersionInfo> GetAsync(string modelName, int number, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var version = await db.RequireVersionAsync(modelName, number, track: false, ct);
        return ToInfo(modelName, version);
    }

    /// <summary>The manifest of a version as stored now: what its digest is taken over. 404 when unknown.</summary>
    public async Task<VersionManifest> ManifestAsync(string modelName, int number, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var modelId = await db.RequireModelIdAsync(modelName, ct);
        for (var attempt = 1; ; attempt++)
        {
            var version = await db.Versions.AsNoTracking().Numbered(modelId, number).SingleOrDefaultAsync(ct)
                ?? throw VersionNotFound(modelName, number);
            var manifest = await VersionManifest.LoadAsync(db, version, modelName, ct);
            // The files and the card are read by separate queries: a write committed between them would mix two states.
            // Every write stores the digest of the state it made, so a manifest that hashes to it is one consistent state.
            if (manifest.Digest == version.Digest || attempt == 3)
            {
                return manifest;
            }
        }
    }

    /// <summary>
    /// What differs from version <paramref name="from"/> to version <paramref name="to"/> of a model in what a reviewer
    /// judges (files, card, metadata): the review screen's diff against the Production version.
    /// </summary>
    public async Task<IReadOnlyList<ManifestChange>> DiffAsync(string modelName, int from, int to, CancellationToken ct = default)
    {
        var earlier = await ManifestAsync(modelName, from, ct);
        var later = await ManifestAsync(modelName, to, ct);
        return later.ChangesSince(earlier);
    }

    /// <summary>
    /// Creates the model's next version. DataScientist or Admin. With <see cref="VersionInput.CopyFrom"/> it starts as a
    /// copy of that version — metadata, lineage, card and files, the files by reference (the blobs are shared, no byte
    /// is copied) — with that version as its parent; this is how a frozen version is changed.
    /// </summary>
    public async Task<VersionInfo> CreateAsync(Actor actor, string modelName, VersionInput input, CancellationToken ct = default)
    {
        var valid = Validate(input);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.EditModels, ct);
        var number = await db.InTransactionAsync(async () =>
        {
            var model = await db.Models.SingleOrDefaultAsync(m => m.Name == modelName, ct)
                ?? throw ModelService.NotFound(modelName);
            await guard.DemandModelWriteAsync(db, actor, model.OwnerTeamId, ct);
            ModelVersion? origin = null;
            if (valid.CopyFrom is { } from)
            {
                origin = await db.Versions.AsNoTracking().Numbered(model.Id, from).SingleOrDefaultAsync(ct)
                    ?? throw ValidationFailedException.For("copyFrom", $"Model '{modelName}' has no version {from} to copy.");
            }

            if (valid.ParentVersion is { } parent
                && !await db.Versions.Numbered(model.Id, parent).AnyAsync(ct))
            {
                throw ValidationFailedException.For("parentVersion", $"Model '{modelName}' has no version {parent} to derive from.");
            }

            var now = clock.GetUtcNow();
            var version = new ModelVersion(model, model.AllocateVersionNumber(now), actor.UserId, actor.DisplayName, now);
            if (origin is not null)
            {
                CarryOver(origin, version);
                MetadataProvenance.CarryOver(origin, version);
                var carried = Copy(version.Metadata);
                Apply(version, valid, creating: false);
                MetadataProvenance.AfterInput(version, carried, carriedOver: null, parent: null);
            }
            else
            {
                Apply(version, valid, creating: true);
                var parentMetadata = valid.ParentVersion is { } p && valid.CarriedOver is { Count: > 0 }
                    ? (await db.Versions.AsNoTracking().Numbered(model.Id, p).SingleAsync(ct)).Metadata
                    : null;
                MetadataProvenance.AfterInput(version, before: null, valid.CarriedOver, parentMetadata);
            }

            db.Versions.Add(version);
            await db.SaveChangesAsync(ct); // The carried-over rows need the new version's id.
            int? cardCopiedFrom;
            var filesCarried = 0;
            if (origin is not null)
            {
                cardCopiedFrom = await CardService.CopyCardOfAsync(db, origin, version, actor, now, ct);
                filesCarried = await Artifacts.ArtifactService.CarryOverAsync(db, origin.Id, version, ct);
            }
            else
            {
                cardCopiedFrom = await CardService.CopyPreviousCardAsync(db, version, actor, now, ct);
            }

            var digest = await VersionWriter.StampNewAsync(db, version, modelName, ct);
            await audit.RecordAsync(db, actor, AuditActions.VersionCreated, AuditEntities.Version,
                $"{modelName}/{version.Number}", modelName,
                new { number = version.Number, input = valid, cardCopiedFrom, copiedFrom = valid.CopyFrom, filesCarried, digest }, ct);
            return version.Number;
        }, ct);

        return await GetAsync(modelName, number, ct);
    }

    /// <summary>Changes a version's description and metadata. DataScientist or Admin.</summary>
    public async Task<VersionInfo> UpdateAsync(Actor actor, string modelName, int number, VersionInput input,
        CancellationToken ct = default)
    {
        var valid = Validate(input);
        if (valid.CopyFrom is not null)
        {
            throw ValidationFailedException.For("copyFrom", "copyFrom applies only when a version is created.");
        }

        if (valid.CarriedOver is not null)
        {
            throw ValidationFailedException.For("carriedOver", "carriedOver applies only when a version is created.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await writer.ChangeAsync(db, actor, modelName, number, VersionWriteKind.Content, async change =>
        {
            var version = change.Version;
            var modelId = version.ModelId;
            if (valid.ParentVersion is { } parent
                && (parent >= number || !await db.Versions.Numbered(modelId, parent).AnyAsync(ct)))
            {
                throw ValidationFailedException.For("parentVersion", $"The parent of version {number} must be an earlier version of '{modelName}'.");
            }

            var before = ToInfo(modelName, version);
            var metadataBefore = Copy(version.Metadata);
            Apply(version, valid, creating: false);
            MetadataProvenance.AfterInput(version, metadataBefore, carriedOver: null, parent: null);
            var after = ToInfo(modelName, version);
            if (before with { Tags = [], Datasets = [] } == after with { Tags = [], Datasets = [] }
                && before.Tags.SequenceEqual(after.Tags) && before.Datasets.SequenceEqual(after.Datasets))
            {
                return false;
            }

            var now = change.Now;
            version.Touch(now);
            version.Model.Touch(now);
            change.Audit(AuditActions.VersionUpdated, AuditEntities.Version,
                $"{modelName}/{number}", new { before, after = after with { UpdatedAt = now } });
            return true;
        }, ct);

        return await GetAsync(modelName, number, ct);
    }

    internal static NotFoundException VersionNotFound(string modelName, int number) =>
        new($"Model '{modelName}' has no version {number}.");

    private static VersionInput Validate(VersionInput input)
    {
        if (input.ParameterCount is < 0 or > MaxParameterCount)
        {
            throw ValidationFailedException.For("parameterCount", "parameterCount must be between 0 and 10^14.");
        }

        if (input.ContextLength is < 1 or > MaxContextLength)
        {
            throw ValidationFailedException.For("contextLength", $"contextLength must be between 1 and {MaxContextLength}.");
        }

        if (input.CopyFrom is < 1)
        {
            throw ValidationFailedException.For("copyFrom", "copyFrom must be a version number from 1.");
        }

        if (input.ParentVersion is < 1)
        {
            throw ValidationFailedException.For("parentVersion", "parentVersion must be a version number from 1.");
        }

        if (input.Format is { } format && !Enum.IsDefined(format))
        {
            throw ValidationFailedException.For("format", "format must be one of safetensors, gguf, pytorch, onnx, other.");
        }

        if (input.Datasets is { Count: > MaxDatasets })
        {
            throw ValidationFailedException.For("datasets", $"At most {MaxDatasets} datasets.");
        }

        var datasets = input.Datasets?.Select((d, i) =>
        {
            var field = $"datasets[{i}]";
            var name = Input.Name($"{field}.name", d.Name, 200)
                ?? throw ValidationFailedException.For($"{field}.name", "Every dataset needs a name.");
            var sha = Input.Line($"{field}.sha256", d.Sha256, 64)?.ToLowerInvariant();
            if (sha is not null && !Sha256Hex().IsMatch(sha))
            {
                throw ValidationFailedException.For($"{field}.sha256", "sha256 must be 64 hexadecimal characters.");
            }

            return new DatasetInfo(name, Input.Line($"{field}.version", d.Version, 200), Url($"{field}.uri", d.Uri),
                sha, Input.Name($"{field}.split", d.Split, 50));
        }).ToList();

        // A blank string that was given stays "" (meaning "clear it" on update); absent stays null ("leave it").
        static string? Keep(string field, string? value, int max) => value is null ? null : Input.Line(field, value, max) ?? "";

        return new VersionInput(
            Source: Keep("source", input.Source, 2000),
            Description: input.Description is null ? null : Input.Text("description", input.Description, 10_000),
            Architecture: Keep("architecture", input.Architecture, 200),
            BaseModel: Keep("baseModel", input.BaseModel, 300),
            ParameterCount: input.ParameterCount,
            ContextLength: input.ContextLength,
            Quantization: Keep("quantization", input.Quantization, 100),
            Format: input.Format,
            License: Keep("license", input.License, 200),
            Tags: input.Tags is null ? null : Input.Tags("tags", input.Tags),
            ParentVersion: input.ParentVersion ?? input.CopyFrom,
            Datasets: datasets,
            CopyFrom: input.CopyFrom,
            CarriedOver: CarriedOverFields(input.CarriedOver));
    }

    private static List<string>? CarriedOverFields(IReadOnlyList<string>? fields)
    {
        if (fields is null)
        {
            return null;
        }

        var unknown = fields.FirstOrDefault(f => !MetadataProvenance.Fields.Contains(f));
        if (unknown is not null)
        {
            throw ValidationFailedException.For("carriedOver",
                $"carriedOver names metadata fields: {string.Join(", ", MetadataProvenance.Fields)}.");
        }

        return fields.Distinct().ToList();
    }

    /// <summary>
    /// Whether <paramref name="uri"/> is an acceptable data set location: absolute with a scheme (https, s3, hf, …).
    /// A bare path is not, even where .NET would read "/data/x" as a file URI, and neither are schemes that run
    /// script or point into the server's file system.
    /// </summary>
    public static bool IsAcceptableUri(string uri) =>
        Uri.TryCreate(uri.Trim(), UriKind.Absolute, out var parsed) && parsed.Scheme is not ("javascript" or "data" or "vbscript" or "file");

    private static string? Url(string field, string? value)
    {
        var v = Input.Line(field, value, 2000);
        if (v is not null && !IsAcceptableUri(v))
        {
            throw ValidationFailedException.For(field, $"{field} must be an absolute URI (e.g. https://…, s3://…, hf://…).");
        }

        return v;
    }

    private static void Apply(ModelVersion version, VersionInput input, bool creating)
    {
        // On create every given field is set; on update only the ones present change ("" clears a text field).
        static string? Stored(string? value) => string.IsNullOrEmpty(value) ? null : value;
        if (creating || input.Source is not null)
        {
            version.Source = Stored(input.Source);
        }

        if (creating || input.Description is not null)
        {
            version.Description = Stored(input.Description);
        }

        var m = version.Metadata;
        if (creating || input.Architecture is not null)
        {
            m.Architecture = Stored(input.Architecture);
        }

        if (creating || input.BaseModel is not null)
        {
            m.BaseModel = Stored(input.BaseModel);
        }

        if (creating || input.ParameterCount is not null)
        {
            m.ParameterCount = input.ParameterCount;
        }

        if (creating || input.ContextLength is not null)
        {
            m.ContextLength = input.ContextLength;
        }

        if (creating || input.Quantization is not null)
        {
            m.Quantization = Stored(input.Quantization);
        }

        if (creating || input.Format is not null)
        {
            m.Format = input.Format ?? WeightFormat.Unknown;
        }

        if (creating || input.License is not null)
        {
            m.License = Stored(input.License);
        }

        if (creating || input.Tags is not null)
        {
            m.Tags = input.Tags?.ToList() ?? [];
        }

        if (creating || input.ParentVersion is not null)
        {
            version.ParentVersionNumber = input.ParentVersion;
        }

        if (creating || input.Datasets is not null)
        {
            version.Datasets = input.Datasets?.Select(d => new TrainingDataset
            {
                Name = d.Name,
                Version = d.Version,
                Uri = d.Uri,
                Sha256 = d.Sha256,
                Split = d.Split,
            }).ToList() ?? [];
        }
    }

    /// <summary>Everything a reviewer judged, from <paramref name="origin"/> to the new <paramref name="version"/>.</summary>
    private static void CarryOver(ModelVersion origin, ModelVersion version)
    {
        version.Source = origin.Source;
        version.Description = origin.Description;
        var m = origin.Metadata;
        version.Metadata = Copy(m);
        version.ParentVersionNumber = origin.Number;
        version.Datasets = origin.Datasets.Select(d => new TrainingDataset
        {
            Name = d.Name,
            Version = d.Version,
            Uri = d.Uri,
            Sha256 = d.Sha256,
            Split = d.Split,
        }).ToList();
    }

    private static LlmMetadata Copy(LlmMetadata m) => new()
    {
        Architecture = m.Architecture,
        BaseModel = m.BaseModel,
        ParameterCount = m.ParameterCount,
        ContextLength = m.ContextLength,
        Quantization = m.Quantization,
        Format = m.Format,
        License = m.License,
        Tags = m.Tags.ToList(),
    };

    internal static VersionInfo ToInfo(string modelName, ModelVersion v) => new(
        modelName, v.Number, v.Stage, v.CreatedBy, v.CreatedAt, v.UpdatedAt, v.Source, v.Description,
        v.Metadata.Architecture, v.Metadata.BaseModel, v.Metadata.ParameterCount, v.Metadata.ContextLength,
        v.Metadata.Quantization, v.Metadata.Format, v.Metadata.License, v.Metadata.Tags.ToList(),
        v.ParentVersionNumber, v.Datasets.Select(d => new DatasetInfo(d.Name, d.Version, d.Uri, d.Sha256, d.Split)).ToList(),
        v.Digest, v.FrozenAt, v.FrozenByRequestId);
}
