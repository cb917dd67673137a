using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using QuotaPortal.Users;

namespace QuotaPortal.Components.Shared;

/// <summary>Base for interactive pages that change things: who is acting, and whether they may.</summary>
public abstract class PortalPage : ComponentBase
{
    [CascadingParameter] protected Task<AuthenticationState>? AuthState { get; set; }

    protected string ActorName { get; private set; } = "anonymous";
    protected bool IsAdmin { get; private set; }

    protected override async Task OnInitializedAsync()
    {
        if (AuthState is not null)
        {
            var user = (await AuthState).User;
            ActorName = Infrastructure.Actor.Name(user);
            IsAdmin = user.IsInRole(Roles.Admin);
        }
        await OnPageInitializedAsync();
    }

    protected virtual Task OnPageInitializedAsync() => Task.CompletedTask;
}
