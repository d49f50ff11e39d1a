using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ModelRegistry.Core.Deployments;
using ModelRegistry.Core.Notifications;

namespace ModelRegistry.Core.Persistence.Configurations;

internal sealed class DeploymentConfiguration : IEntityTypeConfiguration<Deployment>
{
    public void Configure(EntityTypeBuilder<Deployment> b)
    {
        b.ToTable("Deployments");
        b.HasIndex(d => new { d.Environment, d.Id });
        b.HasIndex(d => d.VersionId);
        b.Property(d => d.Digest).HasMaxLength(100).IsRequired();
        b.Property(d => d.Environment).HasMaxLength(50).IsRequired();
        b.Property(d => d.Status).HasConversion<string>().HasMaxLength(20);
        b.Property(d => d.Target).HasMaxLength(DeploymentService.MaxTarget);
        b.Property(d => d.ExternalRef).HasMaxLength(DeploymentService.MaxExternalRef);
        b.Property(d => d.Notes).HasMaxLength(DeploymentService.MaxNotes);
        b.Property(d => d.DeployedByUserId).HasMaxLength(450).IsRequired();
        b.Property(d => d.DeployedBy).HasMaxLength(256).IsRequired();
        b.HasOne(d => d.Version).WithMany().HasForeignKey(d => d.VersionId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class NotificationConfiguration : IEntityTypeConfiguration<Notification>
{
    public void Configure(EntityTypeBuilder<Notification> b)
    {
        b.ToTable("Notifications");
        b.HasIndex(n => new { n.UserId, n.ReadAt });
        b.Property(n => n.UserId).HasMaxLength(450).IsRequired();
        b.Property(n => n.Kind).HasConversion<string>().HasMaxLength(40);
        b.Property(n => n.Message).HasMaxLength(1000).IsRequired();
        b.Property(n => n.Link).HasMaxLength(500).IsRequired();
    }
}
