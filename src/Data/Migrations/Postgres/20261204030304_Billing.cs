using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace QuotaPortal.Data.Migrations.Postgres
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
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Provider = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    BaseUrl = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    AdminKeyProtected = table.Column<string>(type: "text", nullable: false),
                    Enabled = table.Column<bool>(type: "boolean", nullable: false),
                    BackfillDays = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    LastSyncAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    LastError = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    BackfilledFrom = table.Column<DateOnly>(type: "date", nullable: true),
                    BackfillTotalDays = table.Column<int>(type: "integer", nullable: false),
                    BackfillDoneDays = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BillingConnections", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "BillingCostLines",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ConnectionId = table.Column<int>(type: "integer", nullable: false),
                    Provider = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Day = table.Column<DateOnly>(type: "date", nullable: false),
                    ProjectId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    LineItem = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    Model = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    AmountUsd = table.Column<decimal>(type: "numeric", nullable: false),
                    PulledAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
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
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ConnectionId = table.Column<int>(type: "integer", nullable: false),
                    ProjectId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Name = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true),
                    TeamId = table.Column<int>(type: "integer", nullable: true),
                    FirstSeenAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
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
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ConnectionId = table.Column<int>(type: "integer", nullable: false),
                    Provider = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    BucketStart = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    BucketWidth = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    ProjectId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    ApiKeyId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Model = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    InputTokens = table.Column<long>(type: "bigint", nullable: false),
                    CachedInputTokens = table.Column<long>(type: "bigint", nullable: false),
                    OutputTokens = table.Column<long>(type: "bigint", nullable: false),
                    Requests = table.Column<long>(type: "bigint", nullable: false),
                    PulledAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
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
                name: "IX_BillingUsageLines_ConnectionId_BucketStart_BucketWidth_Proj~",
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
