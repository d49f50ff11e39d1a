using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ModelRegistry.Core.Persistence.Migrations
{
    /// <summary>
    /// Closes the upsert hole in the append-only audit table. <c>INSERT OR REPLACE</c> (or <c>REPLACE INTO</c>) resolves a
    /// key conflict by deleting the old row, and SQLite fires no delete trigger for that unless the connection has
    /// <c>PRAGMA recursive_triggers</c> on — which a tamperer's connection would not. So the insert itself is guarded: an
    /// insert whose row id or sequence is already taken is refused before any conflict resolution happens. (Those are the
    /// table's only unique keys; a new unique index on it needs a clause here too.) <c>INSERT … ON CONFLICT DO UPDATE</c>
    /// fires <c>AuditEvents_NoUpdate</c> already, and so does PostgreSQL's, so PostgreSQL needs no change.
    /// </summary>
    public partial class AuditNoReplace : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(
                "CREATE TRIGGER AuditEvents_NoReplace BEFORE INSERT ON AuditEvents " +
                "WHEN EXISTS (SELECT 1 FROM AuditEvents WHERE Id = new.Id) OR EXISTS (SELECT 1 FROM AuditEvents WHERE Sequence = new.Sequence) " +
                "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS AuditEvents_NoReplace;");
        }
    }
}
