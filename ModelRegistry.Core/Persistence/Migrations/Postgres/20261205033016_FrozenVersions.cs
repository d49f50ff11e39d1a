using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ModelRegistry.Core.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class FrozenVersions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_TransitionApprovals_RequestId_UserId",
                table: "TransitionApprovals");

            migrationBuilder.AddColumn<string>(
                name: "Digest",
                table: "Versions",
                type: "character varying(100)",
                maxLength: 100,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "FrozenAt",
                table: "Versions",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "FrozenByRequestId",
                table: "Versions",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "ChangedAt",
                table: "TransitionRequests",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "RequestedDigest",
                table: "TransitionRequests",
                type: "character varying(100)",
                maxLength: 100,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "RequestedManifest",
                table: "TransitionRequests",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Digest",
                table: "TransitionApprovals",
                type: "character varying(100)",
                maxLength: 100,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "VoidedAt",
                table: "TransitionApprovals",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "AfterApproval",
                table: "EvaluationResults",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "Digest",
                table: "Deployments",
                type: "character varying(100)",
                maxLength: 100,
                nullable: false,
                defaultValue: "");

            migrationBuilder.CreateIndex(
                name: "IX_Versions_ModelId_Digest",
                table: "Versions",
                columns: new[] { "ModelId", "Digest" });

            migrationBuilder.CreateIndex(
                name: "IX_TransitionApprovals_OneValidPerReviewer",
                table: "TransitionApprovals",
                columns: new[] { "RequestId", "UserId" },
                unique: true,
                filter: "\"VoidedAt\" IS NULL");

            // Existing data: a version whose transition request was ever approved is frozen from that first approval.
            // (Digests cannot be computed in SQL; DigestBackfill fills them at start-up.)
            migrationBuilder.Sql("""
                UPDATE "Versions" SET
                    "FrozenAt" = (SELECT r."DecidedAt" FROM "TransitionRequests" r
                                  WHERE r."VersionId" = "Versions"."Id" AND r."Status" = 'Approved'
                                  ORDER BY r."DecidedAt", r."Id" LIMIT 1),
                    "FrozenByRequestId" = (SELECT r."Id" FROM "TransitionRequests" r
                                           WHERE r."VersionId" = "Versions"."Id" AND r."Status" = 'Approved'
                                           ORDER BY r."DecidedAt", r."Id" LIMIT 1)
                WHERE EXISTS (SELECT 1 FROM "TransitionRequests" r WHERE r."VersionId" = "Versions"."Id" AND r."Status" = 'Approved');
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Versions_ModelId_Digest",
                table: "Versions");

            migrationBuilder.DropIndex(
                name: "IX_TransitionApprovals_OneValidPerReviewer",
                table: "TransitionApprovals");

            migrationBuilder.DropColumn(
                name: "Digest",
                table: "Versions");

            migrationBuilder.DropColumn(
                name: "FrozenAt",
                table: "Versions");

            migrationBuilder.DropColumn(
                name: "FrozenByRequestId",
                table: "Versions");

            migrationBuilder.DropColumn(
                name: "ChangedAt",
                table: "TransitionRequests");

            migrationBuilder.DropColumn(
                name: "RequestedDigest",
                table: "TransitionRequests");

            migrationBuilder.DropColumn(
                name: "RequestedManifest",
                table: "TransitionRequests");

            migrationBuilder.DropColumn(
                name: "Digest",
                table: "TransitionApprovals");

            migrationBuilder.DropColumn(
                name: "VoidedAt",
                table: "TransitionApprovals");

            migrationBuilder.DropColumn(
                name: "AfterApproval",
                table: "EvaluationResults");

            migrationBuilder.DropColumn(
                name: "Digest",
                table: "Deployments");

            migrationBuilder.CreateIndex(
                name: "IX_TransitionApprovals_RequestId_UserId",
                table: "TransitionApprovals",
                columns: new[] { "RequestId", "UserId" },
                unique: true);
        }
    }
}
