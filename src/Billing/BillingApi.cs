using Microsoft.AspNetCore.Http.HttpResults;
using QuotaPortal.Kernel;

namespace QuotaPortal.Billing;

public static class BillingApi
{
    public static IEndpointRouteBuilder MapBillingApi(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/billing/connections").WithTags("Billing").RequireAuthorization(Policies.Admin);
        g.MapGet("/", ListAsync).WithSummary("List billing connections (the admin key is never returned, only whether it is set)");
        g.MapGet("/{id:int}", GetAsync).WithSummary("Get a billing connection");
        g.MapPost("/", CreateAsync).WithSummary("Add a billing connection (OpenAI or Anthropic admin key)");
        g.MapPut("/{id:int}", UpdateAsync).WithSummary("Change a billing connection; an empty adminKey keeps the stored one");
        g.MapDelete("/{id:int}", DeleteAsync).WithSummary("Remove a billing connection and the lines pulled through it");
        g.MapPost("/{id:int}/sync", SyncAsync).WithSummary("Pull from the provider now");
        g.MapPost("/{id:int}/test", TestAsync).WithSummary("Ask the provider once with the stored key");
        return app;
    }

    /// <param name="Provider">openai or anthropic.</param>
    /// <param name="BaseUrl">Empty: the provider's own API (https://api.openai.com, https://api.anthropic.com).</param>
    /// <param name="AdminKey">Write-only. Required on create; empty on update keeps the stored key.</param>
    public sealed record BillingConnectionRequest(string? Provider, string? Name, string? BaseUrl, string? AdminKey, bool? Enabled, int? BackfillDays)
        : IHasExample<BillingConnectionRequest>
    {
        public static BillingConnectionRequest Example => new("openai", "OpenAI production org", null, "sk-admin-…", true, 30);

        internal BillingConnectionInput ToInput() => new(Provider, Name, BaseUrl, AdminKey, Enabled ?? true, BackfillDays);
    }

    public static async Task<Ok<IReadOnlyList<BillingConnectionView>>> ListAsync(BillingConnectionService service, CancellationToken ct) =>
        TypedResults.Ok(await service.ListAsync(ct));

    public static async Task<Results<Ok<BillingConnectionView>, NotFound>> GetAsync(int id, BillingConnectionService service, CancellationToken ct) =>
        await service.FindAsync(id, ct) is { } view ? TypedResults.Ok(view) : TypedResults.NotFound();

    public static async Task<Results<Created<BillingConnectionView>, ValidationProblem>> CreateAsync(BillingConnectionRequest request,
        BillingConnectionService service, AccessScope who, CancellationToken ct)
    {
        var result = await service.CreateAsync(request.ToInput(), who, ct);
        return result.Succeeded
            ? TypedResults.Created($"/api/v1/billing/connections/{result.Value!.Id}", result.Value)
            : TypedResults.ValidationProblem(result.Errors);
    }

    public static async Task<Results<Ok<BillingConnectionView>, ValidationProblem, NotFound>> UpdateAsync(int id, BillingConnectionRequest request,
        BillingConnectionService service, AccessScope who, CancellationToken ct)
    {
        var result = await service.UpdateAsync(id, request.ToInput(), who, ct);
        if (result.NotFound)
            return TypedResults.NotFound();
        return result.Succeeded ? TypedResults.Ok(result.Value!) : TypedResults.ValidationProblem(result.Errors);
    }

    public static async Task<Results<NoContent, NotFound, ValidationProblem>> DeleteAsync(int id, BillingConnectionService service, AccessScope who,
        CancellationToken ct)
    {
        var result = await service.DeleteAsync(id, who, ct);
        if (result.NotFound)
            return TypedResults.NotFound();
        return result.Succeeded ? TypedResults.NoContent() : TypedResults.ValidationProblem(result.Errors);
    }

    public static async Task<Results<Ok<BillingSyncResult>, NotFound, ValidationProblem>> SyncAsync(int id, BillingConnectionService service,
        AccessScope who, CancellationToken ct)
    {
        var result = await service.SyncAsync(id, who, ct);
        if (result.NotFound)
            return TypedResults.NotFound();
        return result.Succeeded ? TypedResults.Ok(result.Value!) : TypedResults.ValidationProblem(result.Errors);
    }

    public static async Task<Results<Ok<ConnectionTest>, NotFound, ValidationProblem>> TestAsync(int id, BillingConnectionService service,
        AccessScope who, CancellationToken ct)
    {
        var result = await service.TestAsync(id, who, ct);
        if (result.NotFound)
            return TypedResults.NotFound();
        return result.Succeeded ? TypedResults.Ok(result.Value!) : TypedResults.ValidationProblem(result.Errors);
    }
}
