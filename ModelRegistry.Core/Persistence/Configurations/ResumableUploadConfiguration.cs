using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Artifacts.Uploads;

namespace ModelRegistry.Core.Persistence.Configurations;

internal sealed class ResumableUploadConfiguration : IEntityTypeConfiguration<ResumableUpload>
{
    public void Configure(EntityTypeBuilder<ResumableUpload> b)
    {
        b.ToTable("Uploads");
        b.HasKey(u => u.Id);
        b.Property(u => u.Id).HasMaxLength(ResumableUpload.IdLength);
        // The sweep looks for expired uploads.
        b.HasIndex(u => u.ExpiresAt);
        b.HasOne<Versions.ModelVersion>().WithMany().HasForeignKey(u => u.VersionId).OnDelete(DeleteBehavior.Cascade);
        b.Property(u => u.Path).HasMaxLength(ArtifactPath.MaxLength).IsRequired();
        b.Property(u => u.ExpectedSha256).HasMaxLength(64);
        b.Property(u => u.Sha256).HasMaxLength(64);
        b.Property(u => u.Metadata).HasMaxLength(ResumableUpload.MaxMetadataLength);
        b.Property(u => u.Store).HasMaxLength(20).IsRequired();
        b.Property(u => u.StoreState).IsRequired();
        b.Property(u => u.HashState).IsRequired();
        b.Property(u => u.CreatedByUserId).HasMaxLength(450).IsRequired();
        b.Property(u => u.LeaseToken).HasMaxLength(32);
        b.Ignore(u => u.IsCompleted);
    }
}
