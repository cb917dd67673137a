using Microsoft.AspNetCore.Http.HttpResults;
using QuotaPortal.Kernel;

namespace QuotaPortal.ApiKeys;

public static class ApiKeysApi
{
    public static IEndpointRouteBuilder MapApiKeysApi(this IEndpointRouteBuilder app)
    {
        var keys = app.MapGroup("/api/v1/api-keys").WithTags("API keys").RequireAuthorization(Policies.Admin);
        keys.MapGet("/", ListAsync).WithSummary("List API keys (never their secrets)");
        keys.MapPost("/", CreateAsync).WithSummary("Create a key; the secret is in this response only");
        keys.MapDelete("/{id:int}", RevokeAsync).WithSummary("Revoke a key");
        return app;
    }

    /// <param name="Scope">admin, read:*, read:&lt;team slug&gt;, ingest:* or ingest:&lt;team slug&gt;.</param>
    public sealed record CreateKeyRequest(string Name, string Scope, DateTimeOffset? ExpiresAt) : IHasExample<CreateKeyRequest>
    {
        public static CreateKeyRequest Example => new("search gateway", "ingest:search", null);
    }

    public static async Task<Ok<IReadOnlyList<ApiKeyView>>> ListAsync(ApiKeyService keys, CancellationToken ct) =>
        TypedResults.Ok(await keys.ListAsync(ct));

    public static async Task<Results<Created<CreatedApiKey>, ValidationProblem>> CreateAsync(CreateKeyRequest request, ApiKeyService keys,
        AccessScope who, CancellationToken ct)
    {
        var result = await keys.CreateAsync(request.Name, request.Scope, request.ExpiresAt?.UtcDateTime, who, ct);
        return result.Succeeded
            ? TypedResults.Created($"/api/v1/api-keys/{result.Value!.Key.Id}", result.Value)
            : TypedResults.ValidationProblem(result.Errors);
    }

    public static async Task<Results<Ok<ApiKeyView>, NotFound>> RevokeAsync(int id, ApiKeyService keys, AccessScope who, CancellationToken ct)
    {
        var result = await keys.RevokeAsync(id, who, ct);
        return result.NotFound ? TypedResults.NotFound() : TypedResults.Ok(result.Value!);
    }
}
