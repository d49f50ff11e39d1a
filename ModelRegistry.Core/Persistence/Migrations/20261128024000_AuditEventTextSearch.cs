using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ModelRegistry.Core.Persistence.Migrations
{
    /// <summary>
    /// A trigram index of the text the audit log's free-text filter searches (Data, EntityId, ActorName): an FTS5 table
    /// without content of its own, keyed by the event's Id, filled by a trigger on every insert (bulk writers included)
    /// and back-filled here. The audit table is append-only, so the index is only ever inserted into.
    /// </summary>
    public partial class AuditEventTextSearch : Migration
    {
        /// <summary>The FTS5 table's statements (also run by the back-fill test on a table that already has rows).</summary>
        public const string CreateSql =
            "CREATE VIRTUAL TABLE AuditEventSearch USING fts5(Data, EntityId, ActorName, content='', tokenize='trigram');";

        /// <summary>Keeps the index in step with every insert, whoever writes.</summary>
        public const string TriggerSql =
            "CREATE TRIGGER AuditEvents_Search AFTER INSERT ON AuditEvents BEGIN " +
            "INSERT INTO AuditEventSearch (rowid, Data, EntityId, ActorName) VALUES (new.Id, new.Data, new.EntityId, new.ActorName); END;";

        /// <summary>Indexes the events written before the migration.</summary>
        public const string BackfillSql =
            "INSERT INTO AuditEventSearch (rowid, Data, EntityId, ActorName) SELECT Id, Data, EntityId, ActorName FROM AuditEvents;";

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(CreateSql);
            migrationBuilder.Sql(TriggerSql);
            migrationBuilder.Sql(BackfillSql);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS AuditEvents_Search;");
            migrationBuilder.Sql("DROP TABLE IF EXISTS AuditEventSearch;");
        }
    }
}
