using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace QuotaPortal.Tests.Components;

public static class TestContextExtensions
{
    /// <summary>MudBlazor services, loose JS interop and an interactive renderer, as MudBlazor's own tests set up.</summary>
    public static BunitContext AddTestServices(this BunitContext ctx)
    {
        // bUnit waits 1 s by default; these pages read a real SQLite file, and a busy CI machine can take longer than that.
        BunitContext.DefaultWaitTimeout = TimeSpan.FromSeconds(15);
        ctx.Services.AddMudServices();
        ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        ctx.SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        return ctx;
    }
}
