using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Persistence.Configurations;

internal sealed class VersionConfiguration : IEntityTypeConfiguration<ModelVersion>
{
    private static readonly JsonSerializerOptions OriginsJson = new(JsonSerializerDefaults.Web);

    public void Configure(EntityTypeBuilder<ModelVersion> b)
    {
        b.ToTable("Versions");
        b.HasIndex(v => new { v.ModelId, v.Number }).IsUnique();
        b.HasIndex(v => new { v.ModelId, v.Stage });
        // Production is exclusive: at most one Production version per model, enforced by the database too.
        b.HasIndex(v => v.ModelId).IsUnique().HasFilter("\"Stage\" = 'Production'").HasDatabaseName("IX_Versions_OneProductionPerModel");
        b.Property(v => v.Stage).HasConversion<string>().HasMaxLength(20);
        b.Property(v => v.CreatedBy).HasMaxLength(256);
        b.Property(v => v.Source).HasMaxLength(2000);
        b.Property(v => v.Description).HasMaxLength(10_000);
        b.Property(v => v.Digest).HasMaxLength(100).IsRequired();
        // Version references by commit or digest prefix (and the start-up fill of digests missing) seek on it.
        b.HasIndex(v => new { v.ModelId, v.Digest });
        b.OwnsOne(v => v.Metadata, m =>
        {
            m.Property(x => x.Architecture).HasMaxLength(200).HasColumnName("Architecture");
            m.Property(x => x.BaseModel).HasMaxLength(300).HasColumnName("BaseModel");
            m.Property(x => x.ParameterCount).HasColumnName("ParameterCount");
            m.Property(x => x.ContextLength).HasColumnName("ContextLength");
            m.Property(x => x.Quantization).HasMaxLength(100).HasColumnName("Quantization");
            m.Property(x => x.Format).HasConversion<string>().HasMaxLength(20).HasColumnName("Format");
            m.Property(x => x.License).HasMaxLength(200).HasColumnName("License");
            m.Property(x => x.Tags).HasColumnName("MetadataTags");
        });
        b.Navigation(v => v.Metadata).IsRequired();
        b.Property(v => v.MetadataOrigins)
            .HasConversion(
                o => JsonSerializer.Serialize(o, OriginsJson),
                s => JsonSerializer.Deserialize<Dictionary<string, FieldOrigin>>(s, OriginsJson) ?? new Dictionary<string, FieldOrigin>(),
                new ValueComparer<Dictionary<string, FieldOrigin>>(
                    (a, c) => a!.Count == c!.Count && !a.Except(c).Any(),
                    o => o.Aggregate(0, (h, p) => HashCode.Combine(h, p.Key, p.Value)),
                    o => new Dictionary<string, FieldOrigin>(o)))
            .HasMaxLength(1000)
            .HasDefaultValueSql("'{}'")
            .IsRequired();
        b.OwnsMany(v => v.Datasets, d => d.ToJson("Datasets"));
    }
}
