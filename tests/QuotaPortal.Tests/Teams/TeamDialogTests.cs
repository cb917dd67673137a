using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;
using QuotaPortal.Tests.Components;

namespace QuotaPortal.Tests.Teams;

/// <summary>The new-team dialog as an admin first sees it and while the name is typed.</summary>
public sealed class TeamDialogTests : BunitContext, IClassFixture<PortalFactory>
{
    public TeamDialogTests(PortalFactory factory)
    {
        Services.AddSingleton(factory.Service<TeamService>());
        this.AddTestServices();
    }

    private async Task<IRenderedComponent<MudDialogProvider>> OpenNewTeamDialogAsync()
    {
        Render<MudPopoverProvider>();
        var provider = Render<MudDialogProvider>();
        var dialogs = Services.GetRequiredService<IDialogService>();
        await provider.InvokeAsync(() => dialogs.ShowAsync<TeamDialog>("New team",
            new DialogParameters<TeamDialog> { { d => d.Who, AccessScope.System.WithActor("admin@example.com") } }));
        provider.WaitForElement("[data-testid=team-save]");
        return provider;
    }

    [Fact]
    public async Task A_fresh_dialog_shows_no_required_errors()
    {
        var provider = await OpenNewTeamDialogAsync();

        Assert.DoesNotContain("Required", provider.Markup);
        Assert.Empty(provider.FindAll(".mud-input-error"));
    }

    [Fact]
    public async Task Typing_the_name_previews_the_slug_ingestion_will_use()
    {
        var provider = await OpenNewTeamDialogAsync();

        provider.Find("input[data-testid=team-name], [data-testid=team-name] input").Input("Search & Ranking");

        provider.WaitForAssertion(() => Assert.Contains("Will be “search-ranking”", provider.Markup));
        Assert.DoesNotContain("`", provider.Markup);
    }
}
