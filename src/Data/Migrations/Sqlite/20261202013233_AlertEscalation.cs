using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace QuotaPortal.src.Data.Migrations
{
    /// <inheritdoc />
    public partial class AlertEscalation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<decimal>(
                name: "AcknowledgedValue",
                table: "Alerts",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "EscalatedAt",
                table: "Alerts",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Unit",
                table: "Alerts",
                type: "TEXT",
                maxLength: 32,
                nullable: false,
                defaultValue: "Usd");

            // Existing alerts: what their figures count (rate limits count 429s; a budget's alerts count its metric), and the value at
            // acknowledgement for those already acknowledged (the latest known value: escalation then compares with it).
            migrationBuilder.Sql("UPDATE Alerts SET Unit = 'Requests' WHERE Kind = 'RateLimit';");
            migrationBuilder.Sql("UPDATE Alerts SET Unit = (SELECT CASE b.Metric WHEN 'Tokens' THEN 'Tokens' WHEN 'Requests' THEN 'Requests' ELSE 'Usd' END FROM Budgets b WHERE b.Id = Alerts.BudgetId) WHERE BudgetId IS NOT NULL AND EXISTS (SELECT 1 FROM Budgets b WHERE b.Id = Alerts.BudgetId);");
            migrationBuilder.Sql("UPDATE Alerts SET AcknowledgedValue = ObservedValue WHERE State = 'Acknowledged';");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "AcknowledgedValue",
                table: "Alerts");

            migrationBuilder.DropColumn(
                name: "EscalatedAt",
                table: "Alerts");

            migrationBuilder.DropColumn(
                name: "Unit",
                table: "Alerts");
        }
    }
}
