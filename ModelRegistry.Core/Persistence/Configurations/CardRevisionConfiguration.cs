using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ModelRegistry.Core.Cards;

namespace ModelRegistry.Core.Persistence.Configurations;

internal sealed class CardRevisionConfiguration : IEntityTypeConfiguration<CardRevision>
{
    public void Configure(EntityTypeBuilder<CardRevision> b)
    {
        b.ToTable("CardRevisions");
        b.HasIndex(r => new { r.VersionId, r.Number }).IsUnique();
        b.Property(r => r.Markdown).IsRequired();
        b.Property(r => r.Sha256).HasMaxLength(64).IsRequired();
        b.Property(r => r.AuthorUserId).HasMaxLength(450).IsRequired();
        b.Property(r => r.Author).HasMaxLength(256).IsRequired();
        b.Property(r => r.Comment).HasMaxLength(CardService.MaxCommentLength);
        b.HasOne(r => r.Version).WithMany().HasForeignKey(r => r.VersionId).OnDelete(DeleteBehavior.Restrict);
    }
}
