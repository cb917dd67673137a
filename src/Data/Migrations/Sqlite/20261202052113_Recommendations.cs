using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace QuotaPortal.src.Data.Migrations
{
    /// <inheritdoc />
    public partial class Recommendations : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The table was a placeholder nothing wrote to; its columns are renamed below, so start it empty.
            migrationBuilder.Sql("DELETE FROM \"Recommendations\";");
            migrationBuilder.RenameColumn(
                name: "SuggestedModel",
                table: "Recommendations",
                newName: "Target");

            migrationBuilder.RenameColumn(
                name: "State",
                table: "Recommendations",
                newName: "Status");

            migrationBuilder.RenameColumn(
                name: "EstimatedMonthlySavingsUsd",
                table: "Recommendations",
                newName: "WindowTo");

            migrationBuilder.RenameColumn(
                name: "Detail",
                table: "Recommendations",
                newName: "RevivedBecause");

            migrationBuilder.RenameIndex(
                name: "IX_Recommendations_State_TeamId",
                table: "Recommendations",
                newName: "IX_Recommendations_Status_TeamId");

            migrationBuilder.AlterColumn<string>(
                name: "Confidence",
                table: "Recommendations",
                type: "TEXT",
                maxLength: 32,
                nullable: false,
                oldClrType: typeof(double),
                oldType: "REAL");

            migrationBuilder.AddColumn<string>(
                name: "AgentId",
                table: "Recommendations",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ApiMethod",
                table: "Recommendations",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "BudgetId",
                table: "Recommendations",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "DecidedAt",
                table: "Recommendations",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "DepartmentId",
                table: "Recommendations",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "DetailsJson",
                table: "Recommendations",
                type: "TEXT",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "DismissReason",
                table: "Recommendations",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<decimal>(
                name: "DismissedSaving",
                table: "Recommendations",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<decimal>(
                name: "EffortHours",
                table: "Recommendations",
                type: "TEXT",
                nullable: false,
                defaultValue: 0m);

            migrationBuilder.AddColumn<DateTime>(
                name: "ImplementedAt",
                table: "Recommendations",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Key",
                table: "Recommendations",
                type: "TEXT",
                maxLength: 600,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<decimal>(
                name: "MonthlySaving",
                table: "Recommendations",
                type: "TEXT",
                nullable: false,
                defaultValue: 0m);

            migrationBuilder.AddColumn<string>(
                name: "Risk",
                table: "Recommendations",
                type: "TEXT",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<decimal>(
                name: "ScopeMonthlySpend",
                table: "Recommendations",
                type: "TEXT",
                nullable: false,
                defaultValue: 0m);

            migrationBuilder.AddColumn<string>(
                name: "Summary",
                table: "Recommendations",
                type: "TEXT",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<DateTime>(
                name: "WindowFrom",
                table: "Recommendations",
                type: "TEXT",
                nullable: false,
                defaultValue: new DateTime(1, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified));

            migrationBuilder.AddColumn<decimal>(
                name: "CacheWritePerMTok",
                table: "ModelPrices",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "CheaperModels",
                table: "ModelPrices",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Tier",
                table: "ModelPrices",
                type: "TEXT",
                maxLength: 32,
                nullable: false,
                defaultValue: "Unset");

            migrationBuilder.CreateIndex(
                name: "IX_Recommendations_Key",
                table: "Recommendations",
                column: "Key",
                unique: true);

            // The shipped catalog's tiers, cheaper models and Anthropic's cache-write prices, for every version of a shipped model.
            foreach (var (provider, model, tier, cheaper, cacheWrite) in ShippedTiers)
                migrationBuilder.Sql(
                    $"UPDATE \"ModelPrices\" SET \"Tier\" = '{tier}', \"CheaperModels\" = {(cheaper is null ? "NULL" : $"'{cheaper}'")}, "
                    + $"\"CacheWritePerMTok\" = {(cacheWrite is null ? "NULL" : $"'{cacheWrite}'")} WHERE \"Provider\" = '{provider}' AND \"Model\" = '{model}';");
        }

        private static readonly (string Provider, string Model, string Tier, string Cheaper, string CacheWrite)[] ShippedTiers =
        [
            ("openai", "gpt-4", "Premium", "gpt-4o-mini,gpt-4.1-mini", null),
            ("openai", "gpt-4-turbo", "Premium", "gpt-4o-mini,gpt-4.1-mini", null),
            ("openai", "gpt-4o", "Standard", "gpt-4o-mini,gpt-4.1-mini", null),
            ("openai", "gpt-4o-mini", "Economy", null, null),
            ("openai", "gpt-3.5-turbo", "Economy", null, null),
            ("openai", "gpt-4.1", "Standard", "gpt-4.1-mini,gpt-4o-mini", null),
            ("openai", "gpt-4.1-mini", "Economy", null, null),
            ("openai", "o1", "Premium", "o3-mini", null),
            ("openai", "o3-mini", "Standard", null, null),
            ("openai", "text-embedding-3-small", "Economy", null, null),
            ("openai", "text-embedding-3-large", "Standard", "text-embedding-3-small", null),
            ("anthropic", "claude-3-opus", "Premium", "claude-3-5-haiku,claude-3-haiku", "18.75"),
            ("anthropic", "claude-3-5-sonnet", "Standard", "claude-3-5-haiku,claude-3-haiku", "3.75"),
            ("anthropic", "claude-3-haiku", "Economy", null, "0.30"),
            ("anthropic", "claude-3-5-haiku", "Economy", "claude-3-haiku", "1"),
            ("anthropic", "claude-sonnet-4", "Standard", "claude-3-5-haiku,claude-3-haiku", "3.75"),
            ("anthropic", "claude-opus-4", "Premium", "claude-sonnet-4,claude-3-5-haiku", "18.75"),
            ("perplexity", "sonar-pro", "Standard", "sonar,sonar-small", null),
            ("perplexity", "sonar-small", "Economy", null, null),
            ("perplexity", "sonar", "Economy", null, null),
            ("google", "gemini-1.5-pro", "Standard", "gemini-2.0-flash,gemini-1.5-flash", null),
            ("google", "gemini-1.5-flash", "Economy", null, null),
            ("google", "gemini-2.0-flash", "Economy", null, null),
            ("mistral", "mistral-large", "Standard", "mistral-small", null),
            ("mistral", "mistral-small", "Economy", null, null),
            ("cohere", "command-r-plus", "Standard", "command-r", null),
            ("cohere", "command-r", "Economy", null, null)
        ];

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Recommendations_Key",
                table: "Recommendations");

            migrationBuilder.DropColumn(
                name: "AgentId",
                table: "Recommendations");

            migrationBuilder.DropColumn(
                name: "ApiMethod",
                table: "Recommendations");

            migrationBuilder.DropColumn(
                name: "BudgetId",
                table: "Recommendations");

            migrationBuilder.DropColumn(
                name: "DecidedAt",
                table: "Recommendations");

            migrationBuilder.DropColumn(
                name: "DepartmentId",
                table: "Recommendations");

            migrationBuilder.DropColumn(
                name: "DetailsJson",
                table: "Recommendations");

            migrationBuilder.DropColumn(
                name: "DismissReason",
                table: "Recommendations");

            migrationBuilder.DropColumn(
                name: "DismissedSaving",
                table: "Recommendations");

            migrationBuilder.DropColumn(
                name: "EffortHours",
                table: "Recommendations");

            migrationBuilder.DropColumn(
                name: "ImplementedAt",
                table: "Recommendations");

            migrationBuilder.DropColumn(
                name: "Key",
                table: "Recommendations");

            migrationBuilder.DropColumn(
                name: "MonthlySaving",
                table: "Recommendations");

            migrationBuilder.DropColumn(
                name: "Risk",
                table: "Recommendations");

            migrationBuilder.DropColumn(
                name: "ScopeMonthlySpend",
                table: "Recommendations");

            migrationBuilder.DropColumn(
                name: "Summary",
                table: "Recommendations");

            migrationBuilder.DropColumn(
                name: "WindowFrom",
                table: "Recommendations");

            migrationBuilder.DropColumn(
                name: "CacheWritePerMTok",
                table: "ModelPrices");

            migrationBuilder.DropColumn(
                name: "CheaperModels",
                table: "ModelPrices");

            migrationBuilder.DropColumn(
                name: "Tier",
                table: "ModelPrices");

            migrationBuilder.RenameColumn(
                name: "WindowTo",
                table: "Recommendations",
                newName: "EstimatedMonthlySavingsUsd");

            migrationBuilder.RenameColumn(
                name: "Target",
                table: "Recommendations",
                newName: "SuggestedModel");

            migrationBuilder.RenameColumn(
                name: "Status",
                table: "Recommendations",
                newName: "State");

            migrationBuilder.RenameColumn(
                name: "RevivedBecause",
                table: "Recommendations",
                newName: "Detail");

            migrationBuilder.RenameIndex(
                name: "IX_Recommendations_Status_TeamId",
                table: "Recommendations",
                newName: "IX_Recommendations_State_TeamId");

            migrationBuilder.AlterColumn<double>(
                name: "Confidence",
                table: "Recommendations",
                type: "REAL",
                nullable: false,
                oldClrType: typeof(string),
                oldType: "TEXT",
                oldMaxLength: 32);
        }
    }
}
