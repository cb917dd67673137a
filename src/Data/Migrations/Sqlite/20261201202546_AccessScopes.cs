using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace QuotaPortal.src.Data.Migrations
{
    /// <inheritdoc />
    public partial class AccessScopes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "TeamId",
                table: "ApiKeys",
                type: "INTEGER",
                nullable: true);

            // Existing team-scoped keys are bound to the team that has their slug now; from here on they follow its id.
            migrationBuilder.Sql("""
                UPDATE ApiKeys SET TeamId = (SELECT t.Id FROM Teams t WHERE t.Slug = substr(ApiKeys.Scope, instr(ApiKeys.Scope, ':') + 1))
                WHERE (Scope LIKE 'ingest:%' OR Scope LIKE 'read:%') AND Scope NOT IN ('ingest:*', 'read:*');
                """);

            migrationBuilder.CreateTable(
                name: "UserTeamLimits",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    UserId = table.Column<string>(type: "TEXT", nullable: false),
                    TeamId = table.Column<int>(type: "INTEGER", nullable: true),
                    DepartmentId = table.Column<int>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_UserTeamLimits", x => x.Id);
                    table.ForeignKey(
                        name: "FK_UserTeamLimits_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_UserTeamLimits_Departments_DepartmentId",
                        column: x => x.DepartmentId,
                        principalTable: "Departments",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_UserTeamLimits_Teams_TeamId",
                        column: x => x.TeamId,
                        principalTable: "Teams",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ApiKeys_TeamId",
                table: "ApiKeys",
                column: "TeamId");

            migrationBuilder.CreateIndex(
                name: "IX_UserTeamLimits_DepartmentId",
                table: "UserTeamLimits",
                column: "DepartmentId");

            migrationBuilder.CreateIndex(
                name: "IX_UserTeamLimits_TeamId",
                table: "UserTeamLimits",
                column: "TeamId");

            migrationBuilder.CreateIndex(
                name: "IX_UserTeamLimits_UserId",
                table: "UserTeamLimits",
                column: "UserId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "UserTeamLimits");

            migrationBuilder.DropIndex(
                name: "IX_ApiKeys_TeamId",
                table: "ApiKeys");

            migrationBuilder.DropColumn(
                name: "TeamId",
                table: "ApiKeys");
        }
    }
}
