using System.Security.Claims;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using QuotaPortal.Demo;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;
using QuotaPortal.Tests.Components;
using QuotaPortal.Usage;

namespace QuotaPortal.Tests.Usage;

/// <summary>The Usage explorer reads its filters from the address, and the caller's scope still decides what it shows.</summary>
public sealed class UsagePageUrlTests : BunitContext, IClassFixture<PortalFactory>
{
    private readonly PortalFactory factory;
    private readonly LimitedResolver resolver = new();

    public UsagePageUrlTests(PortalFactory factory)
    {
        this.factory = factory;
        foreach (var type in new[] { typeof(UsageQueries), typeof(UsageNotifier), typeof(TeamService), typeof(UsageImporter), typeof(TimeProvider),
                     typeof(Microsoft.Extensions.Options.IOptions<PortalOptions>) })
            Services.AddSingleton(type, factory.Services.GetRequiredService(type));
        Services.AddSingleton<IAccessScopeResolver>(resolver);
        AddAuthorization().SetAuthorized(PortalFactory.ViewerEmail).SetRoles(Roles.Viewer);
        this.AddTestServices();
    }

    private async Task<IReadOnlyList<TeamView>> SeedAsync()
    {
        var teams = factory.Service<TeamService>();
        if ((await teams.ListTeamsAsync()).Count == 0)
            await factory.Service<DemoSeeder>().LoadAsync("test", DemoSpec.Default with { Days = 3 }, Xunit.TestContext.Current.CancellationToken);
        return await teams.ListTeamsAsync();
    }

    private IRenderedComponent<UsagePage> Open(string query)
    {
        Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>().NavigateTo("/usage?" + query);
        Render<MudPopoverProvider>();
        return Render<UsagePage>();
    }

    [Fact]
    public async Task Team_and_dates_in_the_address_filter_the_records()
    {
        var teams = await SeedAsync();
        var (mine, other) = (teams[0], teams[1]);
        resolver.Scope = AccessScope.ForTeams(PortalFactory.ViewerEmail, [mine.Id, other.Id], []);

        var page = Open($"team={mine.Slug}&from=2026-11-22&to=2026-11-22");

        page.WaitForAssertion(() => Assert.True(page.FindAll("[data-testid=usage-grid] tbody tr").Count >= 5), TimeSpan.FromSeconds(30));
        var rows = page.FindAll("[data-testid=usage-grid] tbody tr").Select(r => r.TextContent).ToList();
        Assert.All(rows, r => Assert.Contains(mine.Slug, r));
        Assert.All(rows, r => Assert.Contains("2026-11-22", r));
        Assert.DoesNotContain(rows, r => r.Contains(other.Slug + "openai", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_focus_button_carries_the_filters()
    {
        var teams = await SeedAsync();
        resolver.Scope = AccessScope.ForTeams(PortalFactory.ViewerEmail, [teams[0].Id], []);

        var page = Open($"team={teams[0].Slug}&provider=openai");
        var focus = page.WaitForElement("[data-testid=export-focus]");
        Assert.Null(focus.GetAttribute("disabled"));
        var href = focus.GetAttribute("href")!;
        Assert.StartsWith("/api/v1/usage/export?format=focus", href);
        Assert.Contains($"team={teams[0].Slug}", href);
        Assert.Contains("provider=openai", href);
    }

    [Fact]
    public async Task The_focus_button_is_disabled_while_a_filter_the_daily_rollups_cannot_honour_is_set()
    {
        var teams = await SeedAsync();
        resolver.Scope = AccessScope.ForTeams(PortalFactory.ViewerEmail, [teams[0].Id], []);

        // The daily rollups keep no tags: the button says so instead of downloading a 400.
        var page = Open($"team={teams[0].Slug}&tag=env:prod");
        var focus = page.WaitForElement("[data-testid=export-focus]");
        Assert.NotNull(focus.GetAttribute("disabled"));
        Assert.Null(focus.GetAttribute("href"));
        Assert.NotNull(page.Find("[data-testid=export-csv]").GetAttribute("href"));
    }

    [Fact]
    public async Task A_team_limited_viewer_naming_another_team_in_the_address_sees_none_of_it()
    {
        var teams = await SeedAsync();
        var (mine, other) = (teams[0], teams[1]);
        resolver.Scope = AccessScope.ForTeams(PortalFactory.ViewerEmail, [mine.Id], []);

        var page = Open($"team={other.Slug}&from=2026-11-20&to=2026-11-23&group=team");

        page.WaitForAssertion(() => Assert.Contains("nothing to show", page.Find("[data-testid=filter-unknown-team]").TextContent), TimeSpan.FromSeconds(15));
        // The link opens on "Group by" (group=team): the totals must not wait for the Records grid, which only loads on its own tab.
        page.WaitForAssertion(() => Assert.Contains("$0.00", page.Find("[data-testid=usage-totals]").TextContent), TimeSpan.FromSeconds(15));
        Assert.DoesNotContain(other.Slug, page.Find("[data-testid=group-table]").TextContent);
        Assert.Contains("No usage in this range", page.Find("[data-testid=group-table]").TextContent);

        // Found and clicked on the renderer's dispatcher: a truly asynchronous read (PostgreSQL) may re-render the tabs in between.
        await page.InvokeAsync(() => page.FindAll(".mud-tab").First(t => t.TextContent.Contains("Records", StringComparison.Ordinal)).Click());
        page.WaitForAssertion(() => Assert.Contains("No usage in this range with these filters", page.Find("[data-testid=usage-grid]").TextContent), TimeSpan.FromSeconds(15));
        Assert.DoesNotContain(other.Slug, page.Find("[data-testid=usage-grid]").TextContent);
    }

    [Fact]
    public async Task The_usage_queries_return_nothing_for_a_team_outside_the_callers_scope_even_when_named_by_id()
    {
        var teams = await SeedAsync();
        var (mine, other) = (teams[0], teams[1]);
        var queries = factory.Service<UsageQueries>();
        var filter = new UsageFilter(new DateTime(2026, 11, 20, 0, 0, 0, DateTimeKind.Utc), new DateTime(2026, 11, 24, 0, 0, 0, DateTimeKind.Utc),
            TeamId: other.Id, TeamIds: [mine.Id]);

        Assert.True((await queries.TotalsAsync(filter with { TeamIds = null }, Xunit.TestContext.Current.CancellationToken)).Cost > 0, "the other team has usage in the window");
        var totals = await queries.TotalsAsync(filter, Xunit.TestContext.Current.CancellationToken);
        var groups = await queries.SummaryAsync(filter, UsageGroupBy.Team, Xunit.TestContext.Current.CancellationToken);
        var list = await queries.ListAsync(filter, 0, 50, Xunit.TestContext.Current.CancellationToken);

        Assert.Equal(0m, totals.Cost);
        Assert.Equal(0, totals.Records);
        Assert.Empty(groups);
        Assert.Empty(list.Items);
    }

    private sealed class LimitedResolver : IAccessScopeResolver
    {
        public AccessScope Scope { get; set; } = AccessScope.Nothing("nobody");

        public Task<AccessScope> ResolveAsync(ClaimsPrincipal user, CancellationToken ct = default) => Task.FromResult(Scope);
    }
}
