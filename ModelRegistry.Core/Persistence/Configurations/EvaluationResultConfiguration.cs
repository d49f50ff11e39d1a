using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ModelRegistry.Core.Evaluation;

namespace ModelRegistry.Core.Persistence.Configurations;

internal sealed class EvaluationResultConfiguration : IEntityTypeConfiguration<EvaluationResult>
{
    public void Configure(EntityTypeBuilder<EvaluationResult> b)
    {
        b.ToTable("EvaluationResults");
        b.HasIndex(r => new { r.VersionId, r.Name });
        b.Property(r => r.Name).HasMaxLength(EvaluationService.MaxNameLength).IsRequired();
        b.Property(r => r.Dataset).HasMaxLength(EvaluationService.MaxDatasetLength);
        b.Property(r => r.Split).HasMaxLength(EvaluationService.MaxSplitLength);
        b.Property(r => r.Unit).HasMaxLength(EvaluationService.MaxUnitLength);
        b.Property(r => r.Source).HasConversion<string>().HasMaxLength(20);
        b.Property(r => r.RecordedByUserId).HasMaxLength(450).IsRequired();
        b.Property(r => r.RecordedBy).HasMaxLength(256).IsRequired();
        b.HasOne(r => r.Version).WithMany().HasForeignKey(r => r.VersionId).OnDelete(DeleteBehavior.Restrict);
    }
}
