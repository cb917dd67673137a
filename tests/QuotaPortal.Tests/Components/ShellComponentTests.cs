using QuotaPortal.Kernel;
using Bunit;
using Bunit.TestDoubles;
using QuotaPortal.Components.Layout;
using QuotaPortal.Kernel.Components;
using QuotaPortal.Users;

namespace QuotaPortal.Tests.Components;

public sealed class ShellComponentTests : BunitContext
{
    private readonly BunitAuthorizationContext auth;

    public ShellComponentTests()
    {
        auth = AddAuthorization();
        this.AddTestServices();
    }

    [Fact]
    public void Placeholder_page_says_what_is_coming()
    {
        var cut = Render<ComingSoon>(p => p
            .Add(c => c.Title, "Budgets")
            .Add(c => c.Items, ["Set budgets per team", "Block over-budget calls"]));
        Assert.Equal("Budgets", cut.Find("h1").TextContent);
        Assert.Contains("Coming in the next release", cut.Markup);
        Assert.Equal(2, cut.FindAll("li").Count);
    }

    [Fact]
    public void Admin_sees_admin_links_in_the_navigation()
    {
        auth.SetAuthorized("admin@example.com").SetRoles(Roles.Admin);
        var cut = Render<NavMenu>();
        foreach (var link in new[] { "Dashboard", "Teams", "API keys", "Users", "Audit log", "Settings" })
            Assert.Contains(link, cut.Markup);
    }

    [Fact]
    public void Viewer_does_not_see_admin_links()
    {
        auth.SetAuthorized("viewer@example.com").SetRoles(Roles.Viewer);
        var cut = Render<NavMenu>();
        Assert.Contains("Dashboard", cut.Markup);
        Assert.Contains("Teams", cut.Markup);
        foreach (var link in new[] { "API keys", "Users", "Audit log", "Settings" })
            Assert.DoesNotContain(link, cut.Markup);
    }
}
