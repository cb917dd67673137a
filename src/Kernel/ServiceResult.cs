namespace QuotaPortal.Kernel;

/// <summary>
/// Outcome of a command: a value, field errors (rendered by forms and returned as RFC 7807 validation problems),
/// or not found. Services stay free of HTTP and UI types.
/// </summary>
public sealed class ServiceResult<T>
{
    public T? Value { get; private init; }
    public IDictionary<string, string[]> Errors { get; private init; } = new Dictionary<string, string[]>();
    public bool NotFound { get; private init; }
    /// <summary>The caller may not do this (a Viewer's circuit calling a write, say); nothing was changed.</summary>
    public bool Forbidden { get; private init; }
    public bool Succeeded => !NotFound && !Forbidden && Errors.Count == 0;

    public static ServiceResult<T> Ok(T value) => new() { Value = value };
    public static ServiceResult<T> Missing() => new() { NotFound = true };
    public static ServiceResult<T> Denied() =>
        new() { Forbidden = true, Errors = new Dictionary<string, string[]> { ["access"] = ["Only an admin may change this."] } };
    public static ServiceResult<T> Invalid(IDictionary<string, string[]> errors) => new() { Errors = errors };
    public static ServiceResult<T> Invalid(string field, string message) =>
        new() { Errors = new Dictionary<string, string[]> { [field] = [message] } };

    public string ErrorText => NotFound ? "Not found." : string.Join(" ", Errors.SelectMany(e => e.Value));
}

/// <summary>Collects field errors with the JSON field names clients send.</summary>
public sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> errors = new(StringComparer.Ordinal);

    public bool Any => errors.Count > 0;

    public FieldErrors Add(string field, string message)
    {
        if (!errors.TryGetValue(field, out var list))
            errors[field] = list = [];
        list.Add(message);
        return this;
    }

    public FieldErrors Require(string field, string? value, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
            Add(field, $"'{field}' is required.");
        else if (value.Trim().Length > maxLength)
            Add(field, $"'{field}' must be at most {maxLength} characters.");
        else if (value.Contains('\0'))
            Add(field, $"'{field}' must not contain a NUL character (U+0000).");
        return this;
    }

    public IDictionary<string, string[]> ToDictionary() => errors.ToDictionary(e => e.Key, e => e.Value.ToArray());
}
