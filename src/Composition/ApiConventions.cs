using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using QuotaPortal.Budgets;
using QuotaPortal.Kernel;

namespace QuotaPortal.Composition;

/// <summary>
/// How the HTTP API reads and describes JSON: enums by name (any case, never a number), a body that cannot be bound answered
/// with problem details naming the JSON path of the bad member, and an OpenAPI document whose schemas carry their enum values
/// and a working example.
/// </summary>
public static partial class ApiConventions
{
    public static IServiceCollection AddQuotaPortalApiConventions(this IServiceCollection services)
    {
        // Enums travel as their names only: a number ("period": 99) would bind to a value no code handles. Reading ignores case.
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(allowIntegerValues: false)));
        // A body that cannot be bound throws in every environment (not only Development), so UseApiBindingProblems can name the member.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails();
        services.AddOpenApi(o =>
        {
            o.AddDocumentTransformer((doc, _, _) =>
            {
                doc.Info.Title = "QuotaPortal API";
                doc.Info.Description = DocumentDescription;
                return Task.CompletedTask;
            });
            o.AddSchemaTransformer(DescribeSchemaAsync);
            o.AddOperationTransformer(AddRequestExampleAsync);
        });
        return services;
    }

    private const string DocumentDescription = """
        Usage ingestion and the automation API. Machines authenticate with an API key: `Authorization: Bearer qp_…` or `X-Api-Key: qp_…`
        (create keys on the API keys page or with `dotnet run -- keys create`). Example ingest body:
        `[{"team":"search","provider":"openai","model":"gpt-4o","apiMethod":"chat.completions","inputTokens":1200,"outputTokens":300,"cachedInputTokens":200,"idempotencyKey":"req-8c1f"}]`.
        Teams and departments are named by slug (`"team": "search"`); budgets and teams also accept the numeric id (`teamId`, `departmentId`).
        Enums are their names, in any letter case (`"period": "monthly"`); numbers are refused. What a GET returns can be sent back to its PUT.
        Errors are RFC 7807 problem details. A body that cannot be read names the JSON path of the bad member (`$.thresholds[1]`, `$.period`);
        validation errors name the field (`[3].inputTokens`).
        """;

    /// <summary>Outermost for the API: a body or parameter that could not be bound becomes a 400 problem naming what was wrong.</summary>
    public static IApplicationBuilder UseApiBindingProblems(this IApplicationBuilder app) => app.Use(async (ctx, next) =>
    {
        try
        {
            await next(ctx);
        }
        catch (BadHttpRequestException ex) when (!ctx.Response.HasStarted)
        {
            ctx.Response.StatusCode = ex.StatusCode;
            // Pages keep what they had: the status code (and the status-code page after it).
            if (ctx.Request.Path.StartsWithSegments("/api"))
                await BindingProblem(ctx, ex).ExecuteAsync(ctx);
        }
    });

    internal static IResult BindingProblem(HttpContext ctx, BadHttpRequestException ex)
    {
        if (ex.StatusCode != StatusCodes.Status400BadRequest)
            return TypedResults.Problem(statusCode: ex.StatusCode, title: ReasonPhrases.GetReasonPhrase(ex.StatusCode), detail: ex.Message);
        var (key, message) = ex.InnerException is JsonException json
            ? JsonBindingErrors.Describe(json, ctx.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType)
            : Parameter().Match(ex.Message) is { Success: true } m && !ex.Message.Contains("from body", StringComparison.Ordinal)
                ? (m.Groups["name"].Value, m.Groups["value"].Success
                    ? $"'{m.Groups["value"].Value}' is not a valid value for '{m.Groups["name"].Value}' ({m.Groups["type"].Value.TrimEnd('?')})."
                    : $"'{m.Groups["name"].Value}' is required.")
                : ("body", "Send a JSON object: the body was empty or null.");
        return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [key] = [message] }, detail: message,
            title: "The request could not be read; nothing was changed.");
    }

    [GeneratedRegex("parameter \"(?<type>[^\"]+) (?<name>[^\" ]+)\"(?: from \"(?<value>[^\"]*)\")?")]
    private static partial Regex Parameter();

    private static Task DescribeSchemaAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        var type = context.JsonTypeInfo.Type;
        var enumType = Nullable.GetUnderlyingType(type) ?? type;
        if (enumType.IsEnum && schema.Enum is not { Count: > 0 })
            schema.Enum = Enum.GetNames(enumType).Select(n => (JsonNode)JsonValue.Create(n)).ToList();
        if (context.JsonPropertyInfo?.CustomConverter is ThresholdsJsonConverter)
        {
            schema.Type = JsonSchemaType.Array | JsonSchemaType.Null;
            schema.Items = new OpenApiSchema { Type = JsonSchemaType.Number };
            schema.Examples = [new JsonArray(80, 95, 100)];
            schema.Description = "Alert thresholds in percent of the limit, e.g. [80, 95, 100] (default). The older comma string \"80,95,100\" is still accepted.";
        }
        if (context.JsonPropertyInfo is null && ExampleOf(type, context.ApplicationServices) is { } example)
            schema.Examples = [example];
        return Task.CompletedTask;
    }

    private static Task AddRequestExampleAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var bodyType = context.Description.ActionDescriptor.EndpointMetadata.OfType<IAcceptsMetadata>().FirstOrDefault()?.RequestType;
        if (bodyType is null || operation.RequestBody?.Content is not { } content)
            return Task.CompletedTask;
        var element = bodyType.IsGenericType && bodyType.GetGenericTypeDefinition() == typeof(List<>) ? bodyType.GetGenericArguments()[0] : null;
        JsonNode? example = element is null
            ? ExampleOf(bodyType, context.ApplicationServices)
            : ExampleOf(element, context.ApplicationServices) is { } item ? new JsonArray(item) : null;
        if (example is null)
            return Task.CompletedTask;
        foreach (var media in content.Values)
            media.Example = example.DeepClone();
        return Task.CompletedTask;
    }

    /// <summary>The type's <see cref="IHasExample{TSelf}.Example"/> as the API writes it (same JSON options), or null.</summary>
    internal static JsonNode? ExampleOf(Type type, IServiceProvider services)
    {
        if (!type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IHasExample<>)))
            return null;
        var value = type.GetProperty(nameof(IHasExample<BudgetInput>.Example), BindingFlags.Public | BindingFlags.Static)?.GetValue(null);
        var options = new JsonSerializerOptions(services.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };
        return value is null ? null : JsonSerializer.SerializeToNode(value, type, options);
    }
}
