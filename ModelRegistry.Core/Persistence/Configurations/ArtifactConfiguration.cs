using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Artifacts.Headers;

namespace ModelRegistry.Core.Persistence.Configurations;

internal sealed class ArtifactConfiguration : IEntityTypeConfiguration<Artifact>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public void Configure(EntityTypeBuilder<Artifact> b)
    {
        b.ToTable("Artifacts");
        b.HasIndex(a => new { a.VersionId, a.Path }).IsUnique();
        // Reference checks before a blob is deleted, and verify-artifacts, look artifacts up by hash.
        b.HasIndex(a => a.Sha256);
        b.HasOne(a => a.Version).WithMany().HasForeignKey(a => a.VersionId).OnDelete(DeleteBehavior.Restrict);
        b.Property(a => a.Path).HasMaxLength(ArtifactPath.MaxLength).IsRequired();
        b.Property(a => a.Sha256).HasMaxLength(64).IsRequired();
        b.Property(a => a.ContentType).HasMaxLength(100).IsRequired();
        b.Property(a => a.Kind).HasConversion<string>().HasMaxLength(20);
        b.Property(a => a.HeaderProblem).HasMaxLength(Artifact.MaxProblemLength);
        b.Property(a => a.UploadedByUserId).HasMaxLength(450);
        b.Property(a => a.UploadedBy).HasMaxLength(256);
        b.Property(a => a.Header).HasColumnName("HeaderJson").HasConversion(
            facts => facts == null ? null : JsonSerializer.Serialize(facts, Json),
            json => json == null ? null : JsonSerializer.Deserialize<HeaderFacts>(json, Json),
            new ValueComparer<HeaderFacts?>(
                (x, y) => JsonSerializer.Serialize(x, Json) == JsonSerializer.Serialize(y, Json),
                facts => JsonSerializer.Serialize(facts, Json).GetHashCode(),
                facts => facts));
    }
}

internal sealed class MetadataFillConfiguration : IEntityTypeConfiguration<MetadataFill>
{
    public void Configure(EntityTypeBuilder<MetadataFill> b)
    {
        b.ToTable("MetadataFills");
        b.HasIndex(f => new { f.VersionId, f.Field }).IsUnique();
        b.HasOne<Versions.ModelVersion>().WithMany().HasForeignKey(f => f.VersionId).OnDelete(DeleteBehavior.Cascade);
        b.Property(f => f.Field).HasMaxLength(40).IsRequired();
        b.Property(f => f.Value).HasMaxLength(300).IsRequired();
        b.Property(f => f.Source).HasMaxLength(ArtifactPath.MaxLength + 40).IsRequired();
    }
}
