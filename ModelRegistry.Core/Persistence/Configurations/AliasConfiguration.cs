using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ModelRegistry.Core.Aliases;

namespace ModelRegistry.Core.Persistence.Configurations;

internal sealed class AliasConfiguration : IEntityTypeConfiguration<ModelAlias>
{
    public void Configure(EntityTypeBuilder<ModelAlias> b)
    {
        b.ToTable("Aliases");
        // One alias name per model, enforced by the database too; references by alias seek on it.
        b.HasIndex(a => new { a.ModelId, a.Name }).IsUnique();
        b.HasIndex(a => a.VersionId);
        b.Property(a => a.Name).HasMaxLength(AliasName.MaxLength).IsRequired();
        b.Property(a => a.UpdatedByUserId).HasMaxLength(450).IsRequired();
        b.Property(a => a.UpdatedBy).HasMaxLength(256).IsRequired();
        b.HasOne(a => a.Model).WithMany().HasForeignKey(a => a.ModelId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne(a => a.Version).WithMany().HasForeignKey(a => a.VersionId).OnDelete(DeleteBehavior.Cascade);
    }
}
