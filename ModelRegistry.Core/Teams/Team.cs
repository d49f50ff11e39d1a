namespace ModelRegistry.Core.Teams;

/// <summary>A team: a named set of users that can own models (docs/design.md, "Teams and model access").</summary>
public sealed class Team
{
    private Team() { }

    public Team(string name, string? group, DateTimeOffset now)
    {
        Name = TeamName.Validate(name);
        Group = group;
        CreatedAt = now;
    }

    public long Id { get; private set; }

    /// <summary>Unique slug, by the same rule as model names (<see cref="TeamName"/>).</summary>
    public string Name { get; private set; } = "";

    /// <summary>The OpenID Connect group whose members the team follows at each single sign-on, or null.</summary>
    public string? Group { get; set; }

    public DateTimeOffset CreatedAt { get; private set; }

    public List<TeamMember> Members { get; private set; } = [];
}

/// <summary>One user's membership of one team.</summary>
public sealed class TeamMember
{
    private TeamMember() { }

    public TeamMember(long teamId, string userId, DateTimeOffset now)
    {
        TeamId = teamId;
        UserId = userId;
        AddedAt = now;
    }

    public long TeamId { get; private set; }
    public string UserId { get; private set; } = "";
    public DateTimeOffset AddedAt { get; private set; }
}

/// <summary>Who may read a model (docs/design.md, "Teams and model access").</summary>
public enum ModelVisibility
{
    /// <summary>Every signed-in user reads it (the default).</summary>
    Internal,

    /// <summary>Only members of the owner team, Auditors and Admins see it; to anyone else it does not exist (404).</summary>
    Restricted,
}
