using System.ComponentModel.DataAnnotations;

namespace ModelRegistry.Core;

/// <summary>The <c>Registry</c> section of appsettings.json (see DESIGN.md, Configuration).</summary>
public sealed class RegistryOptions
{
    public const string Section = "Registry";

    /// <summary>Where the SQLite database and the artifact store live; relative paths resolve against the content root.</summary>
    [Required]
    public string DataDirectory { get; set; } = "./data";

    /// <summary>Sqlite (default) or Postgres.</summary>
    public DatabaseProvider Database { get; set; } = DatabaseProvider.Sqlite;

    public bool AllowSelfRegistration { get; set; }

    public AdminBootstrapOptions Admin { get; set; } = new();

    public ArtifactOptions Artifacts { get; set; } = new();
}

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary>An Admin created on first start from configuration, instead of the setup link.</summary>
public sealed class AdminBootstrapOptions
{
    public string? Email { get; set; }
    public string? Password { get; set; }
}

public sealed class ArtifactOptions
{
    public string Store { get; set; } = "FileSystem";

    [Range(1, long.MaxValue)]
    public long MaxFileBytes { get; set; } = 200L * 1024 * 1024 * 1024;
}
