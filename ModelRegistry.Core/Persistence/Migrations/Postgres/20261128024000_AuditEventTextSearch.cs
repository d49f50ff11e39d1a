using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ModelRegistry.Core.Persistence.Migrations.Postgres
{
    /// <summary>
    /// Trigram (pg_trgm) GIN indexes on the columns the audit log's free-text filter searches with ILIKE (Data, EntityId,
    /// ActorName): ILIKE '%…%' then reads the index instead of scanning the log. pg_trgm is a trusted extension, so the
    /// database's owner may create it (PostgreSQL 13+).
    /// </summary>
    public partial class AuditEventTextSearch : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("CREATE EXTENSION IF NOT EXISTS pg_trgm;");
            migrationBuilder.Sql("CREATE INDEX \"IX_AuditEvents_Data_Trigram\" ON \"AuditEvents\" USING gin (\"Data\" gin_trgm_ops);");
            migrationBuilder.Sql("CREATE INDEX \"IX_AuditEvents_EntityId_Trigram\" ON \"AuditEvents\" USING gin (\"EntityId\" gin_trgm_ops);");
            migrationBuilder.Sql("CREATE INDEX \"IX_AuditEvents_ActorName_Trigram\" ON \"AuditEvents\" USING gin (\"ActorName\" gin_trgm_ops);");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP INDEX IF EXISTS \"IX_AuditEvents_Data_Trigram\";");
            migrationBuilder.Sql("DROP INDEX IF EXISTS \"IX_AuditEvents_EntityId_Trigram\";");
            migrationBuilder.Sql("DROP INDEX IF EXISTS \"IX_AuditEvents_ActorName_Trigram\";");
        }
    }
}
