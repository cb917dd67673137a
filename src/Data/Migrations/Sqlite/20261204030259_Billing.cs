using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace QuotaPortal.src.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Billing : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "BillingConnections",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Provider = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    BaseUrl = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    AdminKeyProtected = table.Column<string>(type: "TEXT", nullable: false),
                    Enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    BackfillDays = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    LastSyncAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    LastError = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    BackfilledFrom = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    BackfillTotalDays = table.Column<int>(type: "INTEGER", nullable: false),
                    BackfillDoneDays = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BillingConnections", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "BillingCostLines",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ConnectionId = table.Column<int>(type: "INTEGER", nullable: false),
                    Provider = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Day = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    ProjectId = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    LineItem = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    Model = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    AmountUsd = table.Column<decimal>(type: "TEXT", nullable: false),
                    PulledAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BillingCostLines", x => x.Id);
                    table.ForeignKey(
                        name: "FK_BillingCostLines_BillingConnections_ConnectionId",
                        column: x => x.ConnectionId,
                        principalTable: "BillingConnections",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "BillingProjects",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ConnectionId = table.Column<int>(type: "INTEGER", nullable: false),
                    ProjectId = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 300, nullable: true),
                    TeamId = table.Column<int>(type: "INTEGER", nullable: true),
                    FirstSeenAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BillingProjects", x => x.Id);
                    table.ForeignKey(
                        name: "FK_BillingProjects_BillingConnections_ConnectionId",
                        column: x => x.ConnectionId,
                        principalTable: "BillingConnections",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_BillingProjects_Teams_TeamId",
                        column: x => x.TeamId,
                        principalTable: "Teams",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "BillingUsageLines",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ConnectionId = table.Column<int>(type: "INTEGER", nullable: false),
                    Provider = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    BucketStart = table.Column<DateTime>(type: "TEXT", nullable: false),
                    BucketWidth = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    ProjectId = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    ApiKeyId = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Model = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    InputTokens = table.Column<long>(type: "INTEGER", nullable: false),
                    CachedInputTokens = table.Column<long>(type: "INTEGER", nullable: false),
                    OutputTokens = table.Column<long>(type: "INTEGER", nullable: false),
                    Requests = table.Column<long>(type: "INTEGER", nullable: false),
                    PulledAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BillingUsageLines", x => x.Id);
                    table.ForeignKey(
                        name: "FK_BillingUsageLines_BillingConnections_ConnectionId",
                        column: x => x.ConnectionId,
                        principalTable: "BillingConnections",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_BillingCostLines_ConnectionId_Day_ProjectId_LineItem",
                table: "BillingCostLines",
                columns: new[] { "ConnectionId", "Day", "ProjectId", "LineItem" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_BillingCostLines_Day",
                table: "BillingCostLines",
                column: "Day");

            migrationBuilder.CreateIndex(
                name: "IX_BillingProjects_ConnectionId_ProjectId",
                table: "BillingProjects",
                columns: new[] { "ConnectionId", "ProjectId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_BillingProjects_TeamId",
                table: "BillingProjects",
                column: "TeamId");

            migrationBuilder.CreateIndex(
                name: "IX_BillingUsageLines_BucketStart",
                table: "BillingUsageLines",
                column: "BucketStart");

            migrationBuilder.CreateIndex(
                name: "IX_BillingUsageLines_ConnectionId_BucketStart_BucketWidth_ProjectId_ApiKeyId_Model",
                table: "BillingUsageLines",
                columns: new[] { "ConnectionId", "BucketStart", "BucketWidth", "ProjectId", "ApiKeyId", "Model" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "BillingCostLines");

            migrationBuilder.DropTable(
                name: "BillingProjects");

            migrationBuilder.DropTable(
                name: "BillingUsageLines");

            migrationBuilder.DropTable(
                name: "BillingConnections");
        }
    }
}
