using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ModelRegistry.Core.Signing;

namespace ModelRegistry.Core.Persistence.Configurations;

internal sealed class AttestationConfiguration : IEntityTypeConfiguration<Attestation>
{
    public void Configure(EntityTypeBuilder<Attestation> b)
    {
        b.ToTable("Attestations");
        b.HasIndex(a => new { a.VersionId, a.Id });
        // One attestation per approved request, whatever raced.
        b.HasIndex(a => a.RequestId).IsUnique();
        b.Property(a => a.KeyId).HasMaxLength(64).IsRequired();
        b.Property(a => a.Envelope).IsRequired();
        b.HasOne(a => a.Version).WithMany().HasForeignKey(a => a.VersionId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne(a => a.Request).WithMany().HasForeignKey(a => a.RequestId).OnDelete(DeleteBehavior.Cascade);
    }
}
