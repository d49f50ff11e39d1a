using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Teams;

namespace ModelRegistry.Core.Persistence.Configurations;

internal sealed class TeamConfiguration : IEntityTypeConfiguration<Team>
{
    public void Configure(EntityTypeBuilder<Team> b)
    {
        b.ToTable("Teams");
        b.HasIndex(t => t.Name).IsUnique();
        b.HasIndex(t => t.Group);
        b.Property(t => t.Name).HasMaxLength(100).IsRequired();
        b.Property(t => t.Group).HasMaxLength(TeamName.MaxGroupLength);
        b.HasMany(t => t.Members).WithOne().HasForeignKey(m => m.TeamId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class TeamMemberConfiguration : IEntityTypeConfiguration<TeamMember>
{
    public void Configure(EntityTypeBuilder<TeamMember> b)
    {
        b.ToTable("TeamMembers");
        b.HasKey(m => new { m.TeamId, m.UserId });
        // The visibility filter asks "is this viewer in the owner team?": by user first, then team.
        b.HasIndex(m => new { m.UserId, m.TeamId });
        b.Property(m => m.UserId).HasMaxLength(450).IsRequired();
        b.HasOne<ApplicationUser>().WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
