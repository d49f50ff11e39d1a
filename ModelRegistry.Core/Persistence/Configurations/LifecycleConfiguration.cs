using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ModelRegistry.Core.Lifecycle;

namespace ModelRegistry.Core.Persistence.Configurations;

internal sealed class TransitionRequestConfiguration : IEntityTypeConfiguration<TransitionRequest>
{
    public void Configure(EntityTypeBuilder<TransitionRequest> b)
    {
        b.ToTable("TransitionRequests");
        // At most one open request per version, whatever raced past the service's own check.
        b.HasIndex(r => r.VersionId).IsUnique().HasFilter("\"Status\" = 'Pending'").HasDatabaseName("IX_TransitionRequests_OnePendingPerVersion");
        b.HasIndex(r => new { r.VersionId, r.Id });
        b.HasIndex(r => new { r.Status, r.Id });
        b.HasIndex(r => r.RequestedByUserId);
        b.Property(r => r.FromStage).HasConversion<string>().HasMaxLength(20);
        b.Property(r => r.ToStage).HasConversion<string>().HasMaxLength(20);
        b.Property(r => r.Status).HasConversion<string>().HasMaxLength(20);
        b.Property(r => r.RequestedByUserId).HasMaxLength(450).IsRequired();
        b.Property(r => r.RequestedBy).HasMaxLength(256).IsRequired();
        b.Property(r => r.Justification).HasMaxLength(LifecycleService.MaxJustification);
        b.Property(r => r.DecidedByUserId).HasMaxLength(450);
        b.Property(r => r.DecidedBy).HasMaxLength(256);
        b.Property(r => r.DecisionComment).HasMaxLength(LifecycleService.MaxComment);
        b.Property(r => r.RequestedDigest).HasMaxLength(100).IsRequired();
        b.Ignore(r => r.ValidApprovals);
        b.Property(r => r.Revision).IsConcurrencyToken();
        b.HasOne(r => r.Version).WithMany().HasForeignKey(r => r.VersionId).OnDelete(DeleteBehavior.Cascade);
        b.HasMany(r => r.Approvals).WithOne(a => a.Request).HasForeignKey(a => a.RequestId).OnDelete(DeleteBehavior.Cascade);
        b.HasMany(r => r.Comments).WithOne(c => c.Request).HasForeignKey(c => c.RequestId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class TransitionApprovalConfiguration : IEntityTypeConfiguration<TransitionApproval>
{
    public void Configure(EntityTypeBuilder<TransitionApproval> b)
    {
        b.ToTable("TransitionApprovals");
        // Distinct reviewers: one approval that counts per reviewer per request (a voided one may be followed by a new one).
        b.HasIndex(a => new { a.RequestId, a.UserId }).IsUnique().HasFilter("\"VoidedAt\" IS NULL")
            .HasDatabaseName("IX_TransitionApprovals_OneValidPerReviewer");
        b.Property(a => a.Digest).HasMaxLength(100).IsRequired();
        b.HasIndex(a => a.UserId);
        b.Property(a => a.UserId).HasMaxLength(450).IsRequired();
        b.Property(a => a.ReviewerName).HasMaxLength(256).IsRequired();
        b.Property(a => a.Comment).HasMaxLength(LifecycleService.MaxComment);
    }
}

internal sealed class TransitionCommentConfiguration : IEntityTypeConfiguration<TransitionComment>
{
    public void Configure(EntityTypeBuilder<TransitionComment> b)
    {
        b.ToTable("TransitionComments");
        b.HasIndex(c => c.RequestId);
        b.Property(c => c.AuthorUserId).HasMaxLength(450).IsRequired();
        b.Property(c => c.Author).HasMaxLength(256).IsRequired();
        b.Property(c => c.Text).HasMaxLength(LifecycleService.MaxComment).IsRequired();
    }
}

internal sealed class StageChangeConfiguration : IEntityTypeConfiguration<StageChange>
{
    public void Configure(EntityTypeBuilder<StageChange> b)
    {
        b.ToTable("StageChanges");
        b.HasIndex(c => new { c.VersionId, c.At });
        b.Property(c => c.FromStage).HasConversion<string>().HasMaxLength(20);
        b.Property(c => c.ToStage).HasConversion<string>().HasMaxLength(20);
        b.Property(c => c.ByUserId).HasMaxLength(450).IsRequired();
        b.Property(c => c.By).HasMaxLength(256).IsRequired();
        b.Property(c => c.Reason).HasMaxLength(500);
        b.HasOne(c => c.Version).WithMany().HasForeignKey(c => c.VersionId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne(c => c.Request).WithMany().HasForeignKey(c => c.RequestId).OnDelete(DeleteBehavior.SetNull);
    }
}
