using Microsoft.AspNetCore.Identity;
using QuotaPortal.Data;
using QuotaPortal.Kernel;

namespace QuotaPortal.Users;

public static class UsersSetup
{
    public static IHostApplicationBuilder AddUsers(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        AddIdentity(services);
        services.AddOptions<SetupOptions>().BindConfiguration(SetupOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<UserService>();
        services.AddSingleton<SetupService>();
        services.AddHostedService<SetupAnnouncer>();
        services.AddSingleton<IAccessScopeResolver, AccessScopeResolver>();
        return builder;
    }

    private static void AddIdentity(IServiceCollection services)
    {
        services.AddIdentityCore<ApplicationUser>(o =>
            {
                // Admins create accounts, so there is no e-mail confirmation step to wait for.
                o.SignIn.RequireConfirmedAccount = false;
                o.User.RequireUniqueEmail = true;
                o.Password.RequiredLength = 12;
                o.Password.RequireNonAlphanumeric = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireLowercase = false;
                o.Password.RequireDigit = false;
                o.Lockout.MaxFailedAccessAttempts = 5;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                o.Lockout.AllowedForNewUsers = true;
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<QuotaDbContext>()
            .AddSignInManager()
            .AddDefaultTokenProviders();

        // Identity's SignInManager needs the cookie schemes, in the CLI host too.
        services.AddAuthentication(o =>
            {
                o.DefaultScheme = IdentityConstants.ApplicationScheme;
                o.DefaultSignInScheme = IdentityConstants.ExternalScheme;
            })
            .AddIdentityCookies();
    }
}
