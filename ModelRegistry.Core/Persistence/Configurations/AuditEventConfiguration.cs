using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ModelRegistry.Core.Audit;

namespace ModelRegistry.Core.Persistence.Configurations;

internal sealed class AuditEventConfiguration : IEntityTypeConfiguration<AuditEvent>
{
    public void Configure(EntityTypeBuilder<AuditEvent> b)
    {
        b.ToTable("AuditEvents");
        b.HasIndex(e => e.Sequence).IsUnique();
        b.HasIndex(e => new { e.EntityType, e.EntityId });
        b.HasIndex(e => e.ModelName);
        b.HasIndex(e => e.Time);
        // The /audit filters by actor and by action: without these, counting a filtered page scans the whole log.
        b.HasIndex(e => e.ActorId);
        b.HasIndex(e => e.ActorName);
        b.HasIndex(e => e.Action);
        b.Property(e => e.Action).HasMaxLength(100).IsRequired();
        b.Property(e => e.ActorId).HasMaxLength(450).IsRequired();
        b.Property(e => e.ActorName).HasMaxLength(256).IsRequired();
        b.Property(e => e.EntityType).HasMaxLength(50).IsRequired();
        b.Property(e => e.EntityId).HasMaxLength(450).IsRequired();
        b.Property(e => e.ModelName).HasMaxLength(100);
        b.Property(e => e.PreviousHash).HasMaxLength(64).IsRequired();
        b.Property(e => e.Hash).HasMaxLength(64).IsRequired();
    }
}
