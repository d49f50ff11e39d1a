using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ModelRegistry.Core.Models;

namespace ModelRegistry.Core.Persistence.Configurations;

internal sealed class ModelConfiguration : IEntityTypeConfiguration<RegisteredModel>
{
    public void Configure(EntityTypeBuilder<RegisteredModel> b)
    {
        b.ToTable("Models");
        b.HasIndex(m => m.Name).IsUnique();
        b.HasIndex(m => m.UpdatedAt);
        b.HasIndex(m => m.Task);
        b.Property(m => m.Name).HasMaxLength(100).IsRequired();
        b.Property(m => m.DisplayName).HasMaxLength(200).IsRequired();
        b.Property(m => m.Description).HasMaxLength(10_000);
        b.Property(m => m.Task).HasMaxLength(100);
        b.Property(m => m.Owner).HasMaxLength(200);
        b.Property(m => m.Tags);
        b.Property(m => m.Visibility).HasConversion<string>().HasMaxLength(20).HasDefaultValue(Teams.ModelVisibility.Internal)
            .HasSentinel(Teams.ModelVisibility.Internal);
        b.HasIndex(m => m.OwnerTeamId);
        b.HasOne(m => m.OwnerTeam).WithMany().HasForeignKey(m => m.OwnerTeamId).OnDelete(DeleteBehavior.Restrict);
        b.HasMany(m => m.Versions).WithOne(v => v.Model).HasForeignKey(v => v.ModelId).OnDelete(DeleteBehavior.Restrict);
    }
}
