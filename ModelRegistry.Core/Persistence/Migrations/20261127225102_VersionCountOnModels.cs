using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ModelRegistry.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class VersionCountOnModels : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "VersionCount",
                table: "Models",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            // Existing registries: count each model's versions once, here, instead of on every list request.
            migrationBuilder.Sql(
                "UPDATE \"Models\" SET \"VersionCount\" = " +
                "(SELECT COUNT(*) FROM \"Versions\" WHERE \"Versions\".\"ModelId\" = \"Models\".\"Id\");");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "VersionCount",
                table: "Models");
        }
    }
}
