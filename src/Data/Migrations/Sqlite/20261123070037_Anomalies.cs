using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace QuotaPortal.src.Data.Migrations
{
    /// <inheritdoc />
    public partial class Anomalies : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Anomalies",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    TeamId = table.Column<int>(type: "INTEGER", nullable: false),
                    Model = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    Granularity = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    StartUtc = table.Column<DateTime>(type: "TEXT", nullable: false),
                    EndUtc = table.Column<DateTime>(type: "TEXT", nullable: false),
                    IsOpen = table.Column<bool>(type: "INTEGER", nullable: false),
                    ActualUsd = table.Column<decimal>(type: "TEXT", nullable: false),
                    ExpectedUsd = table.Column<decimal>(type: "TEXT", nullable: false),
                    Deviation = table.Column<double>(type: "REAL", nullable: false),
                    ImpactUsd = table.Column<decimal>(type: "TEXT", nullable: false),
                    ChangePercent = table.Column<double>(type: "REAL", nullable: false),
                    Buckets = table.Column<int>(type: "INTEGER", nullable: false),
                    RootCause = table.Column<string>(type: "TEXT", maxLength: 400, nullable: true),
                    Source = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    AlertId = table.Column<long>(type: "INTEGER", nullable: true),
                    DetectedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Anomalies", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Anomalies_Teams_TeamId",
                        column: x => x.TeamId,
                        principalTable: "Teams",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Anomalies_StartUtc",
                table: "Anomalies",
                column: "StartUtc");

            migrationBuilder.CreateIndex(
                name: "IX_Anomalies_TeamId_Model_Granularity_StartUtc",
                table: "Anomalies",
                columns: new[] { "TeamId", "Model", "Granularity", "StartUtc" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Anomalies");
        }
    }
}
