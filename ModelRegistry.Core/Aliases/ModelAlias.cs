using ModelRegistry.Core.Models;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Aliases;

/// <summary>
/// A named pointer to one version of a model (<c>champion</c> → v3). Not version content: it may point at a frozen
/// version, and moving it changes no digest. Unique per model.
/// </summary>
public sealed class ModelAlias
{
    private ModelAlias() { }

    internal ModelAlias(RegisteredModel model, string name, ModelVersion version, string userId, string userName, DateTimeOffset now)
    {
        Model = model;
        ModelId = model.Id;
        Name = name;
        PointAt(version, userId, userName, now);
    }

    public long Id { get; private set; }
    public long ModelId { get; private set; }
    public RegisteredModel Model { get; private set; } = null!;

    /// <summary>The alias, as <see cref="AliasName"/> allows it.</summary>
    public string Name { get; private set; } = "";

    public long VersionId { get; private set; }
    public ModelVersion Version { get; private set; } = null!;

    public string UpdatedByUserId { get; private set; } = "";
    public string UpdatedBy { get; private set; } = "";
    public DateTimeOffset UpdatedAt { get; private set; }

    /// <summary>Points the alias at <paramref name="version"/> (of the same model), by whom and when.</summary>
    internal void PointAt(ModelVersion version, string userId, string userName, DateTimeOffset now)
    {
        if (version.ModelId != ModelId)
        {
            throw new InvalidOperationException("An alias points at a version of its own model.");
        }

        Version = version;
        VersionId = version.Id;
        UpdatedByUserId = userId;
        UpdatedBy = userName;
        UpdatedAt = now;
    }
}
