using QuotaPortal.Kernel;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using QuotaPortal.Alerts;
using QuotaPortal.Notifications;
using QuotaPortal.Tests.Components;

namespace QuotaPortal.Tests.Notifications;

/// <summary>The Settings page's channel list and edit dialog over the real channel store.</summary>
public sealed class ChannelDialogTests : BunitContext, IClassFixture<PortalFactory>
{
    private readonly PortalFactory factory;

    public ChannelDialogTests(PortalFactory factory)
    {
        this.factory = factory;
        Services.AddSingleton(factory.Service<NotificationChannels>());
        this.AddTestServices();
    }

    [Fact]
    public async Task Stored_credentials_show_only_as_set_and_saving_the_edit_form_unchanged_keeps_them()
    {
        var ct = Xunit.TestContext.Current.CancellationToken;
        await using var receiver = await Receiver.StartAsync();
        receiver.Down = false;
        var channels = factory.Service<NotificationChannels>();
        var saved = (await channels.SaveAsync(new NotificationChannel(Guid.Empty, "Dialog hook", ChannelKind.Webhook, $"{receiver.BaseUrl}/hook?token=tok-8812",
            "dialog-secret-77", AlertSeverity.Info, [], true), AccessScope.System.WithActor("admin"), ct)).Value!;
        Render<MudPopoverProvider>();
        var provider = Render<MudDialogProvider>();

        var panel = Render<ChannelsPanel>(p => p.Add(x => x.Who, AccessScope.System.WithActor("admin@example.com")));
        panel.WaitForAssertion(() => Assert.Contains("Dialog hook", panel.Markup));
        Assert.DoesNotContain("tok-8812", panel.Markup);
        Assert.DoesNotContain("dialog-secret-77", panel.Markup);
        Assert.Contains($"{receiver.BaseUrl}/…", panel.Markup);

        panel.Find("button[aria-label='Edit Dialog hook']").Click();
        provider.WaitForElement("[data-testid=channel-save]");
        Assert.DoesNotContain("tok-8812", provider.Markup);
        Assert.DoesNotContain("dialog-secret-77", provider.Markup);
        Assert.DoesNotContain(NotificationSecrets.Prefix, provider.Markup);
        Assert.Contains("Set; leave empty to keep it", provider.Markup);
        Assert.True(string.IsNullOrEmpty(provider.Find("[data-testid=channel-url] input, input[data-testid=channel-url]").GetAttribute("value")));
        Assert.True(string.IsNullOrEmpty(provider.Find("[data-testid=channel-secret] input, input[data-testid=channel-secret]").GetAttribute("value")));

        provider.Find("[data-testid=channel-save]").Click();
        provider.WaitForAssertion(() => Assert.Empty(provider.FindAll("[data-testid=channel-save]")));

        Assert.True(await channels.SendTestAsync(saved.Id, AccessScope.System.WithActor("admin"), ct));
        var delivered = Assert.Single(receiver.Requests);
        Assert.Equal("/hook", delivered.Path);
        Assert.True(NotificationSender.Verify("dialog-secret-77", delivered.Body, delivered.Signature));
    }
}
