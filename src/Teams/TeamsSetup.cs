namespace QuotaPortal.Teams;

public static class TeamsSetup
{
    public static IHostApplicationBuilder AddTeams(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TeamService>();
        return builder;
    }
}
