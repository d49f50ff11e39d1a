using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Models;

/// <summary>A registered model: the named home of its versions.</summary>
public sealed class RegisteredModel
{
    private RegisteredModel() { }

    public RegisteredModel(string name, string createdByUserId, string owner, DateTimeOffset now)
    {
        Name = ModelName.Validate(name);
        DisplayName = name;
        CreatedByUserId = createdByUserId;
        Owner = owner;
        CreatedAt = now;
        UpdatedAt = now;
    }

    public long Id { get; private set; }

    /// <summary>Unique, immutable slug (see <see cref="ModelName"/>).</summary>
    public string Name { get; private set; } = "";

    public string DisplayName { get; set; } = "";
    public string Description { get; set; } = "";

    /// <summary>text-generation, embeddings, classification, …</summary>
    public string? Task { get; set; }

    /// <summary>The person or team answerable for the model.</summary>
    public string Owner { get; set; } = "";

    public List<string> Tags { get; set; } = [];

    /// <summary>The team whose members write to the model (and alone see it when <see cref="Visibility"/> is Restricted).</summary>
    public long? OwnerTeamId { get; set; }

    public Teams.Team? OwnerTeam { get; private set; }

    /// <summary>Who reads the model (docs/design.md, "Teams and model access").</summary>
    public Teams.ModelVisibility Visibility { get; set; }
    public string CreatedByUserId { get; private set; } = "";
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }

    /// <summary>Highest version number ever handed out. Numbers are never reused, even if versions go.</summary>
    public int LastVersionNumber { get; private set; }

    /// <summary>
    /// How many versions the model has, kept with the versions so lists and page totals need not count a
    /// model's versions on every request. Whatever adds or removes a version changes it in the same transaction
    /// (<see cref="AllocateVersionNumber"/> does for new versions). While it equals <see cref="LastVersionNumber"/>
    /// the numbers are exactly 1…LastVersionNumber, which lets a page of versions be found by number.
    /// </summary>
    public int VersionCount { get; private set; }

    public List<ModelVersion> Versions { get; private set; } = [];

    /// <summary>Hands out the next version number for a version being added, and counts that version.</summary>
    public int AllocateVersionNumber(DateTimeOffset now)
    {
        LastVersionNumber = checked(LastVersionNumber + 1);
        VersionCount = checked(VersionCount + 1);
        Touch(now);
        return LastVersionNumber;
    }

    public void Touch(DateTimeOffset now) => UpdatedAt = now;
}
