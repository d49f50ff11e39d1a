using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ModelRegistry.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class MetadataProvenance : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "MetadataOrigins",
                table: "Versions",
                type: "TEXT",
                maxLength: 1000,
                nullable: false,
                defaultValueSql: "'{}'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "MetadataOrigins",
                table: "Versions");
        }
    }
}
