using QuotaPortal.Kernel;

namespace QuotaPortal.Usage;

/// <summary>Field rules for one usage record; errors are keyed by the JSON path clients sent ("[3].inputTokens").</summary>
public static class UsageValidation
{
    /// <param name="at">Prefix of the record's fields in error keys: "" for a single record, "[3]." for a batch member.</param>
    public static void Validate(UsageInput r, string at, DateTime nowUtc, IngestOptions opt, FieldErrors errors) =>
        Validate(r, new FieldPath(at, -1), nowUtc, opt, errors);

    /// <summary>A batch member: its errors are keyed "[index].field" (the key is only built when there is an error: this runs per record).</summary>
    public static void Validate(UsageInput r, int index, DateTime nowUtc, IngestOptions opt, FieldErrors errors) =>
        Validate(r, new FieldPath("", index), nowUtc, opt, errors);

    private static void Validate(UsageInput r, FieldPath at, DateTime nowUtc, IngestOptions opt, FieldErrors errors)
    {
        Text(r.Team, at, "team", 64, required: true, errors);
        Text(r.Provider, at, "provider", 64, required: true, errors);
        Text(r.Model, at, "model", 128, required: true, errors);
        Text(r.ApiMethod, at, "apiMethod", 64, required: false, errors); // absent means UsageInput.DefaultApiMethod
        NonNegative(r.InputTokens, at, "inputTokens", errors);
        NonNegative(r.OutputTokens, at, "outputTokens", errors);
        NonNegative(r.CachedInputTokens, at, "cachedInputTokens", errors);
        NonNegative(r.ReasoningTokens, at, "reasoningTokens", errors);
        if (r.CachedInputTokens > (r.InputTokens ?? 0))
            errors.Add(at.Of("cachedInputTokens"), "'cachedInputTokens' is part of 'inputTokens' and cannot exceed it.");
        if (r.ReasoningTokens > (r.OutputTokens ?? 0))
            errors.Add(at.Of("reasoningTokens"), "'reasoningTokens' is part of 'outputTokens' and cannot exceed it.");
        if (r.Requests is < 1)
            errors.Add(at.Of("requests"), "'requests' must be at least 1.");
        if (r.Cost is < 0)
            errors.Add(at.Of("cost"), "'cost' cannot be negative.");
        if (r.Cost > 1_000_000m)
            errors.Add(at.Of("cost"), "'cost' over $1,000,000 for one record is not plausible.");
        if (r.Currency is not null && !string.Equals(r.Currency.Trim(), "USD", StringComparison.OrdinalIgnoreCase))
            errors.Add(at.Of("currency"), $"Unknown or unsupported currency '{r.Currency}': costs are recorded in USD.");
        if (r.DurationMs is < 0)
            errors.Add(at.Of("durationMs"), "'durationMs' cannot be negative.");
        if (r.Timestamp is { } ts)
        {
            var utc = ts.UtcDateTime;
            if (utc > nowUtc.AddMinutes(opt.MaxFutureMinutes))
                errors.Add(at.Of("timestamp"), $"'timestamp' is more than {opt.MaxFutureMinutes} minutes in the future.");
            else if (utc < nowUtc.AddDays(-opt.RetentionDays))
                errors.Add(at.Of("timestamp"), $"'timestamp' is older than the {opt.RetentionDays}-day retention window.");
        }
        Text(r.ErrorCode, at, "errorCode", 64, required: false, errors);
        Text(r.AgentId, at, "agentId", 128, required: false, errors);
        Text(r.TaskId, at, "taskId", 128, required: false, errors);
        Text(r.WorkspaceId, at, "workspaceId", 128, required: false, errors);
        Text(r.PromptHash, at, "promptHash", 128, required: false, errors);
        Text(r.IdempotencyKey, at, "idempotencyKey", 200, required: false, errors);
        if (r.Tags is { } tags)
        {
            if (tags.Count > 20)
                errors.Add(at.Of("tags"), "At most 20 tags per record.");
            else if (tags.Any(t => t.Key.Length is 0 or > 64 || (t.Value?.Length ?? 0) > 256))
                errors.Add(at.Of("tags"), "Tag names are 1-64 characters and values at most 256.");
        }
    }

    /// <summary>Where a record's fields are: a prefix ("", or "[3]." from a caller) or a batch index (≥ 0).</summary>
    private readonly record struct FieldPath(string Prefix, int Index)
    {
        public string Of(string name) => Index < 0 ? Prefix + name : $"[{Index}].{name}";
    }

    private static void Text(string? value, FieldPath at, string name, int max, bool required, FieldErrors errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required)
                errors.Add(at.Of(name), $"'{name}' is required.");
        }
        else if (value.Length > max && value.Trim().Length > max)
        {
            errors.Add(at.Of(name), $"'{name}' must be at most {max} characters.");
        }
    }

    private static void NonNegative(long? value, FieldPath at, string name, FieldErrors errors)
    {
        if (value is < 0)
            errors.Add(at.Of(name), $"'{name}' cannot be negative.");
    }
}
