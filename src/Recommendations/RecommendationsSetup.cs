namespace QuotaPortal.Recommendations;

public static class RecommendationsSetup
{
    public static IHostApplicationBuilder AddRecommendations(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<RecommendationOptions>().BindConfiguration(RecommendationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<RecommendationLoader>();
        services.AddSingleton<RecommendationRunner>();
        services.AddSingleton<RecommendationService>();
        services.AddSingleton<RecommendationStep>();
        services.AddSingleton<Alerts.IEvaluationStep>(sp => sp.GetRequiredService<RecommendationStep>());
        return builder;
    }
}
