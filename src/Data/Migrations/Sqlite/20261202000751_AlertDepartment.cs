using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace QuotaPortal.src.Data.Migrations
{
    /// <inheritdoc />
    public partial class AlertDepartment : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "DepartmentId",
                table: "Alerts",
                type: "INTEGER",
                nullable: true);

            // Alerts raised before this column: a budget alert is about its budget's department.
            migrationBuilder.Sql("UPDATE Alerts SET DepartmentId = (SELECT b.DepartmentId FROM Budgets b WHERE b.Id = Alerts.BudgetId) WHERE BudgetId IS NOT NULL;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "DepartmentId",
                table: "Alerts");
        }
    }
}
