using Mono.Cecil;
using Mono.Cecil.Cil;

namespace QuotaPortal.Tests.Architecture;

/// <summary>
/// No method of the portal (migrations, razor markup and field initialisers aside) runs to 60 lines or more: measured from the debug symbols, from a
/// method's first to its last statement, async state machines counted as the method they are written as.
/// </summary>
public sealed class MethodLengthTests(ITestOutputHelper output)
{
    private const int Limit = 60;

    [Fact]
    public void Every_method_is_shorter_than_60_lines()
    {
        var methods = MethodExtents.Measure();
        foreach (var m in methods.Take(5))
            output.WriteLine($"{m.Lines,4} lines  {m.Name}  ({m.File}:{m.FirstLine})");
        Assert.True(methods.Count > 100, "the symbols were not read: " + methods.Count);
        var tooLong = methods.Where(m => m.Lines >= Limit).Select(m => $"{m.Lines} lines: {m.Name} ({m.File}:{m.FirstLine})").ToList();
        Assert.True(tooLong.Count == 0, $"Methods of {Limit} lines or more:\n" + string.Join("\n", tooLong));
    }
}

internal sealed record MethodExtent(string Name, string File, int FirstLine, int LastLine)
{
    public int Lines => LastLine - FirstLine + 1;
}

internal static class MethodExtents
{
    /// <summary>Every source method with its extent, longest first.</summary>
    public static IReadOnlyList<MethodExtent> Measure()
    {
        var path = typeof(QuotaPortal.Data.QuotaDbContext).Assembly.Location;
        using var module = ModuleDefinition.ReadModule(path, new ReaderParameters { ReadSymbols = true });
        var extents = new Dictionary<string, (string File, int First, int Last)>();
        foreach (var type in module.GetTypes())
        {
            if (type.Namespace.Contains(".Migrations", StringComparison.Ordinal) || Outer(type).Namespace.Contains(".Migrations", StringComparison.Ordinal))
                continue;
            foreach (var method in type.Methods.Where(m => m.HasBody && m.DebugInformation.HasSequencePoints))
            {
                var points = method.DebugInformation.SequencePoints.Where(p => !p.IsHidden).ToList();
                if (points.Count == 0)
                    continue;
                var file = points[0].Document.Url;
                if (OwnerKey(type, method) is not { } key)
                    continue;
                // Not methods anyone wrote as such: razor markup (with the lambdas inside it), field initialisers gathered into
                // constructors, and source-generated code under obj/.
                if (!file.Contains("/src/", StringComparison.Ordinal) || method.IsConstructor
                    || (file.EndsWith(".razor", StringComparison.Ordinal) && key.Contains(".BuildRenderTree(", StringComparison.Ordinal)))
                    continue;
                var first = points.Min(p => p.StartLine);
                var last = points.Max(p => p.EndLine);
                if (!extents.TryGetValue(key, out var seen))
                    extents[key] = (file, first, last);
                else if (seen.File == file)
                    extents[key] = (file, Math.Min(seen.First, first), Math.Max(seen.Last, last));
            }
        }
        return extents.Select(kv => new MethodExtent(kv.Key, Shorten(kv.Value.File), kv.Value.First, kv.Value.Last))
            .OrderByDescending(m => m.Lines).ToList();
    }

    private static TypeDefinition Outer(TypeDefinition t)
    {
        while (t.DeclaringType is not null)
            t = t.DeclaringType;
        return t;
    }

    /// <summary>
    /// The method as written: an async method or iterator is measured on its state machine's MoveNext; a lambda is skipped, because the
    /// statement that holds it already spans its lines. Overloads stay apart (full signature).
    /// </summary>
    private static string? OwnerKey(TypeDefinition type, MethodDefinition method)
    {
        if (method.DebugInformation.StateMachineKickOffMethod is { } kickoff)
            return Describe(kickoff);
        return method.Name.StartsWith('<') && method.Name.Contains(">b__", StringComparison.Ordinal) ? null : Describe(method);
    }

    private static string Describe(MethodDefinition m) =>
        $"{m.DeclaringType.FullName}.{m.Name}({string.Join(", ", m.Parameters.Select(p => p.ParameterType.Name))})";

    private static string Shorten(string file)
    {
        var i = file.IndexOf("/src/", StringComparison.Ordinal);
        return i >= 0 ? file[(i + 1)..] : file;
    }
}
