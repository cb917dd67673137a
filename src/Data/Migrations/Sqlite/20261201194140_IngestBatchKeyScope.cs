using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace QuotaPortal.src.Data.Migrations
{
    /// <inheritdoc />
    public partial class IngestBatchKeyScope : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Old rows were scoped per team, new ones per API key: they cannot be carried over (they only served retries for 72 hours).
            migrationBuilder.Sql("DELETE FROM IngestBatches;");

            migrationBuilder.DropIndex(
                name: "IX_IngestBatches_TeamId_IdempotencyKey",
                table: "IngestBatches");

            migrationBuilder.DropColumn(
                name: "TeamId",
                table: "IngestBatches");

            migrationBuilder.AddColumn<string>(
                name: "BodyHash",
                table: "IngestBatches",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Scope",
                table: "IngestBatches",
                type: "TEXT",
                maxLength: 300,
                nullable: false,
                defaultValue: "");

            migrationBuilder.CreateIndex(
                name: "IX_IngestBatches_CreatedAt",
                table: "IngestBatches",
                column: "CreatedAt");

            migrationBuilder.CreateIndex(
                name: "IX_IngestBatches_Scope_IdempotencyKey",
                table: "IngestBatches",
                columns: new[] { "Scope", "IdempotencyKey" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_IngestBatches_CreatedAt",
                table: "IngestBatches");

            migrationBuilder.DropIndex(
                name: "IX_IngestBatches_Scope_IdempotencyKey",
                table: "IngestBatches");

            migrationBuilder.DropColumn(
                name: "BodyHash",
                table: "IngestBatches");

            migrationBuilder.DropColumn(
                name: "Scope",
                table: "IngestBatches");

            migrationBuilder.AddColumn<int>(
                name: "TeamId",
                table: "IngestBatches",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateIndex(
                name: "IX_IngestBatches_TeamId_IdempotencyKey",
                table: "IngestBatches",
                columns: new[] { "TeamId", "IdempotencyKey" },
                unique: true);
        }
    }
}
