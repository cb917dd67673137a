using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using QuotaPortal.Kernel;

namespace QuotaPortal.Kernel.Components;

/// <summary>
/// Base for interactive pages: who is looking, what they may see (<see cref="Scope"/>, resolved on each page visit so a changed team limit
/// applies at the next navigation) and whether they may change things. Services check the scope themselves; <see cref="IsAdmin"/> only
/// decides which buttons to draw.
/// </summary>
public abstract class PortalPage : ComponentBase
{
    [CascadingParameter] protected Task<AuthenticationState>? AuthState { get; set; }
    [Inject] private IAccessScopeResolver ScopeResolver { get; set; } = default!;
    [CascadingParameter] private ViewerClock? CascadedClock { get; set; }

    /// <summary>Shows times in the viewer's time zone, named (the layout cascades it; UTC without one).</summary>
    protected ViewerClock Clock => CascadedClock ?? ViewerClock.Utc;

    protected string ActorName { get; private set; } = "anonymous";
    protected bool IsAdmin { get; private set; }
    protected AccessScope Scope { get; private set; } = AccessScope.Nothing("anonymous");

    protected override async Task OnInitializedAsync()
    {
        if (AuthState is not null)
        {
            var user = (await AuthState).User;
            ActorName = Kernel.Actor.Name(user);
            IsAdmin = user.IsInRole(Roles.Admin);
            Scope = await ScopeResolver.ResolveAsync(user);
        }
        await OnPageInitializedAsync();
    }

    protected virtual Task OnPageInitializedAsync() => Task.CompletedTask;
}
