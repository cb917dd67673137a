using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuotaPortal.ApiKeys;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Pricing;

namespace QuotaPortal.Usage;

public static class UsageApi
{
    public const string IngestRateLimit = "ingest";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IEndpointRouteBuilder MapUsageApi(this IEndpointRouteBuilder app)
    {
        var usage = app.MapGroup("/api/v1/usage").WithTags("Usage");
        usage.MapPost("/", PostAsync)
            .RequireAuthorization(Policies.Ingest)
            .RequireRateLimiting(IngestRateLimit)
            .Accepts<List<UsageInput>>("application/json")
            .WithSummary("Ingest one usage record (a JSON object) or a batch (a JSON array, up to 10,000 records or 5 MB)")
            .WithDescription("All-or-nothing. Authenticate with `Authorization: Bearer qp_…` or `X-Api-Key`. An `Idempotency-Key` header makes the whole batch idempotent (per API key; reusing it with a different body is a 422); a record's `idempotencyKey` makes that record idempotent (per team). UTF-8 JSON only (another charset is a 415).");
        usage.MapGet("/", ListAsync).RequireAuthorization(Policies.Reader).WithSummary("List usage records (newest first, paged)");
        usage.MapGet("/summary", SummaryAsync).RequireAuthorization(Policies.Reader).WithSummary("Totals grouped by team, provider, model, apiMethod, day or hour");
        usage.MapGet("/export", ExportAsync).RequireAuthorization(Policies.Reader).WithSummary("Export the filtered records as CSV or JSON, or the daily spend as FOCUS 1.2 (format=focus)");
        usage.MapPost("/estimate", EstimateAsync).RequireAuthorization(Policies.Reader).WithSummary("Cost of a call from the price catalog (writes nothing)");
        return app;
    }

    public static async Task<Results<Ok<IngestResult>, ValidationProblem, ProblemHttpResult>> PostAsync(
        HttpContext http, UsageIngestor ingestor, IOptions<IngestOptions> options, CancellationToken ct)
    {
        var (body, bodyProblem) = await JsonBody.ReadAsync(http.Request, options.Value.MaxBodyBytes, ct);
        if (bodyProblem is not null)
            return bodyProblem;
        List<UsageInput?> inputs;
        if (body.Span.TrimStart(" \t\r\n"u8).IsEmpty)
            return Problem(StatusCodes.Status400BadRequest, "Empty body", "Send a usage record (JSON object) or a batch (JSON array).");
        try
        {
            inputs = JsonItems.Read<UsageInput>(body.Span, Json);
        }
        catch (JsonException ex)
        {
            var (path, message) = JsonBindingErrors.Describe(ex, JsonItems.BodyType<UsageInput>(body.Span));
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [path] = [message] }, detail: message, title: "Malformed JSON");
        }
        if (inputs.Any(i => i is null))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["A batch may not contain null records."] });

        var grant = ApiKeyAuthenticationHandler.Grant(http);
        var caller = new IngestCaller(Actor.Name(http.User), grant);
        var batchKey = http.Request.Headers.TryGetValue("Idempotency-Key", out var k) ? k.ToString() : null;
        var bodyHash = batchKey is null ? null : Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(body.Span));
        var outcome = await ingestor.IngestAsync(inputs!, caller, batchKey, ct, bodyHash: bodyHash);
        switch (outcome.Status)
        {
            case IngestStatus.Invalid:
                return TypedResults.ValidationProblem(outcome.Errors!, title: "The batch was rejected; nothing was written.");
            case IngestStatus.UnknownTeams:
                return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Unknown team",
                    detail: $"No active team with slug {string.Join(", ", outcome.Teams!.Select(t => $"'{t}'"))}. Create it on the Teams page; nothing was written.",
                    extensions: new Dictionary<string, object?> { ["teams"] = outcome.Teams });
            case IngestStatus.IdempotencyConflict:
                return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Idempotency-Key reused with a different body",
                    detail: outcome.Errors!["Idempotency-Key"][0], extensions: new Dictionary<string, object?> { ["errors"] = outcome.Errors });
            case IngestStatus.Forbidden:
                return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Team not in this key's scope",
                    detail: $"This API key may not write usage for {string.Join(", ", outcome.Teams!.Select(t => $"'{t}'"))}; nothing was written.");
            default:
                if (outcome.Replayed)
                    http.Response.Headers["Idempotent-Replayed"] = "true";
                return TypedResults.Ok(outcome.Result!);
        }
    }

    public sealed record UsageListResponse(IReadOnlyList<UsageRow> Items, int Total, int Page, int PageSize, UsageTotals Totals);

    public static async Task<Results<Ok<UsageListResponse>, ValidationProblem, ProblemHttpResult>> ListAsync(
        AccessScope scope, UsageQueries queries, IDbContextFactory<QuotaDbContext> dbFactory, [AsParameters] UsageQuery query,
        int? page, int? pageSize, CancellationToken ct)
    {
        var (filter, problem) = await ResolveAsync(scope, dbFactory, query, ct);
        if (problem is not null)
            return problem;
        var size = Math.Clamp(pageSize ?? 100, 1, 1000);
        var p = Math.Max(0, page ?? 0);
        if ((long)p * size > UsageQueries.MaxOffset)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["page"] = [$"'page' × 'pageSize' may be at most {UsageQueries.MaxOffset:N0}; narrow 'from'/'to' to read older rows."] });
        var result = await queries.ListAsync(filter!, p, size, ct);
        return TypedResults.Ok(new UsageListResponse(result.Items, result.Total, p, size, result.Totals));
    }

    public static async Task<Results<Ok<IReadOnlyList<UsageGroup>>, ValidationProblem, ProblemHttpResult>> SummaryAsync(
        AccessScope scope, UsageQueries queries, IDbContextFactory<QuotaDbContext> dbFactory, [AsParameters] UsageQuery query,
        string? groupBy, CancellationToken ct)
    {
        if (!Enum.TryParse<UsageGroupBy>(groupBy ?? "team", ignoreCase: true, out var by))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["groupBy"] = ["'groupBy' must be team, provider, model, apiMethod, day, hour, tag or apiKey."] });
        var (filter, problem) = await ResolveAsync(scope, dbFactory, query, ct);
        if (problem is not null)
            return problem;
        return TypedResults.Ok(await queries.SummaryAsync(filter!, by, ct));
    }

    public static async Task<IResult> ExportAsync(HttpContext http, AccessScope scope, UsageQueries queries, IDbContextFactory<QuotaDbContext> dbFactory,
        TimeProvider time, [FromServices] IEnumerable<IUsageExportFormat> formats, [AsParameters] UsageQuery query, string? format, CancellationToken ct)
    {
        var json = string.Equals(format, "json", StringComparison.OrdinalIgnoreCase);
        var csv = format is null || string.Equals(format, "csv", StringComparison.OrdinalIgnoreCase);
        var other = json || csv ? null : formats.FirstOrDefault(f => string.Equals(f.Name, format, StringComparison.OrdinalIgnoreCase));
        if (!json && !csv && other is null)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["format"] = [$"'format' must be one of: {string.Join(", ", new[] { "csv", "json" }.Concat(formats.Select(f => f.Name)))}."],
            });
        var (filter, problem) = await ResolveAsync(scope, dbFactory, query, ct);
        if (problem is not null)
            return problem;
        if (other?.Validate(filter!) is { } errors)
            return TypedResults.ValidationProblem(errors, title: $"This filter cannot be exported as {other.Name}.");
        var stamp = time.GetUtcNow().UtcDateTime.ToString("yyyyMMdd-HHmm", CultureInfo.InvariantCulture);
        var name = $"usage-{stamp}.{other?.FileExtension ?? (json ? "json" : "csv")}";
        http.Response.ContentType = other?.ContentType ?? (json ? "application/json" : "text/csv; charset=utf-8");
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{name}\"";
        if (other is not null)
        {
            await other.WriteAsync(filter!, http.Response.Body, ct);
            return TypedResults.Empty;
        }
        var rows = queries.StreamAsync(filter!, ct);
        if (json)
        {
            await JsonSerializer.SerializeAsync(http.Response.Body, rows, Json, ct);
        }
        else
        {
            await using var writer = new StreamWriter(http.Response.Body, leaveOpen: true);
            await UsageCsv.WriteCsvAsync(rows, writer, ct);
        }
        return TypedResults.Empty;
    }

    /// <param name="ApiMethod">Default chat.completions, as on ingestion; "batch" applies the model's batch discount.</param>
    public sealed record EstimateRequest(string Provider, string Model, long InputTokens, long OutputTokens, long? CachedInputTokens,
        long? ReasoningTokens, string? ApiMethod, DateTimeOffset? At) : IHasExample<EstimateRequest>
    {
        public static EstimateRequest Example => new("openai", "gpt-4o", 1200, 300, 200, null, "chat.completions", null);
    }

    public sealed record EstimateResponse(decimal Cost, string Provider, string Model, DateTime PriceEffectiveFrom, decimal InputPerMTok,
        decimal OutputPerMTok, decimal? CachedInputPerMTok, decimal? ReasoningPerMTok, bool BatchDiscountApplied);

    public static async Task<Results<Ok<EstimateResponse>, ValidationProblem>> EstimateAsync(EstimateRequest request, PriceCatalog catalog,
        TimeProvider time, CancellationToken ct)
    {
        var input = new UsageInput
        {
            Team = "estimate", Provider = request.Provider, Model = request.Model, ApiMethod = request.ApiMethod,
            InputTokens = request.InputTokens, OutputTokens = request.OutputTokens, CachedInputTokens = request.CachedInputTokens,
            ReasoningTokens = request.ReasoningTokens,
        };
        var errors = new FieldErrors();
        UsageValidation.Validate(input, "", time.GetUtcNow().UtcDateTime, new IngestOptions(), errors);
        if (errors.Any)
            return TypedResults.ValidationProblem(errors.ToDictionary());
        var at = request.At?.UtcDateTime ?? time.GetUtcNow().UtcDateTime;
        var price = await catalog.ResolveAsync(request.Provider.Trim(), request.Model.Trim(), at, ct);
        if (price is null)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["model"] = [$"No price for {request.Provider}/{request.Model} in the catalog."] });
        var batch = input.ApiMethod == "batch";
        var cost = CostCalculator.Compute(price, new TokenCounts(request.InputTokens, request.OutputTokens, request.CachedInputTokens ?? 0, request.ReasoningTokens ?? 0), batch);
        return TypedResults.Ok(new EstimateResponse(decimal.Round(cost, 9), price.Provider, price.Model, price.EffectiveFrom, price.InputPerMTok,
            price.OutputPerMTok, price.CachedInputPerMTok, price.ReasoningPerMTok, batch && price.BatchDiscountPercent > 0));
    }

    public sealed record UsageQuery(DateTimeOffset? From, DateTimeOffset? To, string? Team, string? Provider, string? Model, string? ApiMethod, bool? Success,
        string? Tag = null, int? ApiKey = null);

    /// <summary>Turns query parameters into a filter limited to the caller's access scope (a team-scoped key or viewer sees its teams only).</summary>
    private static async Task<(UsageFilter?, ProblemHttpResult?)> ResolveAsync(AccessScope scope, IDbContextFactory<QuotaDbContext> dbFactory,
        UsageQuery q, CancellationToken ct)
    {
        int? teamId = null;
        if (!string.IsNullOrWhiteSpace(q.Team))
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            teamId = await db.Teams.Where(t => t.Slug == q.Team).Select(t => (int?)t.Id).FirstOrDefaultAsync(ct);
            if (teamId is null)
                return (null, TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown team", detail: $"No team with slug '{q.Team}'."));
            if (!scope.CanSeeTeam(teamId.Value))
                return (null, TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Team not in your scope",
                    detail: $"You may not read team '{q.Team}'."));
        }
        return (new UsageFilter(q.From?.UtcDateTime, q.To?.UtcDateTime, teamId, Blank(q.Provider), Blank(q.Model), Blank(q.ApiMethod), q.Success,
            scope.TeamIdList, Blank(q.Tag), q.ApiKey), null);
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(statusCode: status, title: title, detail: detail);
}
