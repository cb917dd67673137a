using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using QuotaPortal.Alerts;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;

namespace QuotaPortal.Tests.Alerts;

/// <summary>
/// A department-wide alert (a department budget's) is shown to a viewer limited to that whole department and to no one limited
/// elsewhere: the check reads the alert's own department, not the budget it came from.
/// </summary>
public sealed class DepartmentAlertVisibilityTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(int Department, int Team)> DepartmentWithTeamAsync(string slug)
    {
        var teams = factory.Service<TeamService>();
        var system = AccessScope.System.WithActor("test");
        var dept = (await teams.CreateDepartmentAsync(new DepartmentInput($"Dept {slug}", $"dept-{slug}", null), system, Ct)).Value!;
        var team = (await teams.CreateTeamAsync(new TeamInput($"Team {slug}", $"team-{slug}", dept.Id, null, null), system, Ct)).Value!;
        return (dept.Id, team.Id);
    }

    private async Task RaiseAsync(string key, int departmentId)
    {
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        await factory.Service<AlertWriter>().ApplyAsync(db, [new AlertDecision.Raise(
            new AlertDraft(AlertKind.Threshold, AlertSeverity.Warning, key, $"Department alert {key}", "80 % of the department budget")
            { DepartmentId = departmentId })], Ct);
    }

    [Fact]
    public async Task A_department_alert_is_seen_by_that_departments_viewer_only()
    {
        var (legal, legalTeam) = await DepartmentWithTeamAsync("legal");
        var (sales, salesTeam) = await DepartmentWithTeamAsync("sales");
        await RaiseAsync("dept-alert:legal", legal);
        await RaiseAsync("dept-alert:sales", sales);
        var alerts = factory.Service<AlertService>();

        var legalViewer = await alerts.ListAsync(new AlertFilter(), AccessScope.ForTeams("legal-lead", [legalTeam], [legal]), ct: Ct);
        var salesTeamOnly = await alerts.ListAsync(new AlertFilter(), AccessScope.ForTeams("sales-dev", [salesTeam], []), ct: Ct);

        Assert.Equal(["Department alert dept-alert:legal"], legalViewer.Where(a => a.Title.StartsWith("Department alert", StringComparison.Ordinal)).Select(a => a.Title));
        // Limited to one team, not the whole department: a department-wide figure is more than that team's.
        Assert.DoesNotContain(salesTeamOnly, a => a.Title.StartsWith("Department alert", StringComparison.Ordinal));
    }
}

/// <summary>Upgrading: alerts raised before alerts carried their department get it from their budget, so upgraded viewers keep seeing them.</summary>
public sealed class AlertDepartmentMigrationTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_older_department_budget_alert_gets_its_budgets_department_on_upgrade()
    {
        Assert.SkipWhen(TestDatabase.IsPostgres, "It upgrades a SQLite database made before the AlertDepartment migration; PostgreSQL installations " +
            "start at today's schema (one Initial migration), so there is no older PostgreSQL schema to upgrade.");
        var system = AccessScope.System.WithActor("test");
        var dept = (await factory.Service<TeamService>().CreateDepartmentAsync(new DepartmentInput("Dept upgrade", "dept-upgrade", null), system, Ct)).Value!;
        var dbFactory = factory.Service<IDbContextFactory<QuotaDbContext>>();
        var now = factory.Service<TimeProvider>().GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(Ct);
        var budget = new QuotaPortal.Budgets.Budget { Name = "Upgrade dept", DepartmentId = dept.Id, Limit = 10, CreatedAt = now, UpdatedAt = now };
        db.Budgets.Add(budget);
        await db.SaveChangesAsync(Ct);
        // As the writer stored it before the column: the budget named, the department not.
        await factory.Service<AlertWriter>().ApplyAsync(db, [new AlertDecision.Raise(
            new AlertDraft(AlertKind.Threshold, AlertSeverity.Warning, "upgrade:dept", "Upgrade dept: 80 %", null) { BudgetId = budget.Id })], Ct);

        var migrator = db.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>();
        await migrator.MigrateAsync("20261201202546_AccessScopes", Ct);
        await migrator.MigrateAsync(cancellationToken: Ct);

        await using var after = await dbFactory.CreateDbContextAsync(Ct);
        var alert = await after.Alerts.AsNoTracking().SingleAsync(a => a.DedupKey == "upgrade:dept", Ct);
        Assert.Equal(dept.Id, alert.DepartmentId);
    }
}
