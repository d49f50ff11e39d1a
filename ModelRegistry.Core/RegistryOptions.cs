using System.ComponentModel.DataAnnotations;

namespace ModelRegistry.Core;

/// <summary>The <c>Registry</c> section of appsettings.json (docs/design.md, "Configuration").</summary>
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

    /// <summary><c>Registry:Signing</c>: the key that signs approval attestations.</summary>
    public Signing.SigningOptions Signing { get; set; } = new();

    /// <summary><c>Registry:Auth</c>: password sign-in and single sign-on (docs/sso.md).</summary>
    public Identity.AuthOptions Auth { get; set; } = new();
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
    /// <summary>FileSystem (default: under the data directory) or S3 (a bucket, <see cref="S3"/>).</summary>
    public ArtifactStoreKind Store { get; set; } = ArtifactStoreKind.FileSystem;

    [Range(1, long.MaxValue)]
    public long MaxFileBytes { get; set; } = 200L * 1024 * 1024 * 1024;

    /// <summary>
    /// A resumable (tus) upload that receives no byte for this long expires: the sweep removes its staged bytes and a
    /// client must start again. Each accepted chunk moves the deadline (<c>Upload-Expires</c>).
    /// </summary>
    [Range(0.01, 24 * 365)]
    public double UploadExpiryHours { get; set; } = 24;

    /// <summary><c>Registry:Artifacts:S3</c>, read when <see cref="Store"/> is S3.</summary>
    public S3ArtifactOptions S3 { get; set; } = new();
}

public enum ArtifactStoreKind
{
    FileSystem,
    S3,
}

/// <summary>An S3-compatible bucket for the artifact store (AWS S3, MinIO, Ceph …).</summary>
public sealed class S3ArtifactOptions
{
    /// <summary>The endpoint, e.g. <c>https://s3.eu-central-1.amazonaws.com</c> or <c>http://minio:9000</c>.</summary>
    public string? ServiceUrl { get; set; }

    public string? Bucket { get; set; }

    public string? AccessKey { get; set; }

    public string? SecretKey { get; set; }

    /// <summary>Signing region; most S3-compatible servers accept the default.</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>Address the bucket in the path (<c>host/bucket/key</c>) rather than the host name; what MinIO and Ceph expect.</summary>
    public bool ForcePathStyle { get; set; } = true;

    /// <summary>Upload part size in MiB (5–5120); larger files get larger parts, as S3 allows at most 10,000.</summary>
    [Range(5, 5120)]
    public int PartSizeMiB { get; set; } = 16;

    /// <summary>Parts sent at once per upload; with the part being filled, memory per upload is (this + 1) parts.</summary>
    [Range(1, 16)]
    public int PartsInFlight { get; set; } = 2;

    /// <summary>
    /// The sweep aborts multipart uploads and removes temporary objects older than this: old enough that no
    /// instance is still writing them.
    /// </summary>
    [Range(0, 24 * 365)]
    public double StaleUploadHours { get; set; } = 6;

    /// <summary>How often a running server sweeps the bucket again (the start-up sweep runs regardless).</summary>
    [Range(0.01, 7 * 24 * 60)]
    public double SweepMinutes { get; set; } = 60;

    /// <summary>
    /// Downloads answer <c>302</c> to a presigned URL of the bucket, after access is checked, instead of streaming the
    /// bytes through the registry (docs/decisions/0019). Clients must be able to reach <see cref="ServiceUrl"/>.
    /// </summary>
    public bool PresignDownloads { get; set; }

    /// <summary>How long a presigned download URL works, in minutes (signature version 4 allows at most 7 days).</summary>
    [Range(1, MaxPresignMinutes)]
    public int PresignMinutes { get; set; } = 15;

    /// <summary>Seven days: the longest a signature-version-4 URL may live.</summary>
    public const int MaxPresignMinutes = 7 * 24 * 60;
}
