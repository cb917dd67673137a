using Mono.Cecil;
using Mono.Cecil.Cil;

namespace QuotaPortal.Tests.Architecture;

/// <summary>
/// The folder rules of src/, checked on what the code really uses: the compiled types' references (IL, signatures, attributes) plus
/// every `using QuotaPortal.X` in the sources. A feature folder must not use a feature that uses it back; the shared kernel uses no feature;
/// only the composition root (and the DbContext, which maps every entity) may see every feature.
/// </summary>
public sealed class FeatureDependencyTests
{
    private static readonly Lazy<DependencyGraph> Graph = new(DependencyGraph.Build);

    [Fact]
    public void Kernel_uses_no_feature()
    {
        var uses = Graph.Value.Edges.Where(e => e.From == "Kernel").Select(e => e.ToString()).ToList();
        Assert.True(uses.Count == 0, "src/Kernel must use no feature, but:\n" + string.Join("\n", uses));
    }

    [Fact]
    public void No_feature_folder_uses_a_feature_that_uses_it_back()
    {
        var edges = Graph.Value.Edges;
        var mutual = edges.Where(e => string.CompareOrdinal(e.From, e.To) < 0 && edges.Any(b => b.From == e.To && b.To == e.From))
            .Select(e => $"{e} and {edges.First(b => b.From == e.To && b.To == e.From)}").ToList();
        Assert.True(mutual.Count == 0, "Folders that use each other:\n" + string.Join("\n", mutual));
    }

    [Fact]
    public void Feature_folders_form_no_cycle()
    {
        var cycle = Graph.Value.FindCycle();
        Assert.True(cycle is null, "Dependency cycle between src/ folders: " + (cycle is null ? "" : string.Join(" → ", cycle)));
    }

    [Fact]
    public void The_graph_sees_known_dependencies()
    {
        // Guards the checker itself: if it stopped reading references, the rules above would pass on anything.
        var edges = Graph.Value.Edges.Select(e => (e.From, e.To)).ToHashSet();
        Assert.Contains(("Budgets", "Forecasting"), edges);
        Assert.Contains(("Dashboard", "Budgets"), edges);
        Assert.Contains(("Usage", "Kernel"), edges);
        Assert.Contains(("Budgets", "Kernel"), edges);
    }
}

internal sealed record DependencyEdge(string From, string To, string Example)
{
    public override string ToString() => $"{From} → {To} ({Example})";
}

internal sealed class DependencyGraph
{
    // May see every feature: the composition root and the root namespace (Program, Routes imports).
    private static readonly HashSet<string> Roots = ["Composition", ""];
    private static readonly HashSet<string> RootTypes = ["QuotaPortal.Data.QuotaDbContext"];

    public required IReadOnlyList<DependencyEdge> Edges { get; init; }

    public static DependencyGraph Build()
    {
        var found = new Dictionary<(string, string), string>();
        void Add(string from, string to, string example)
        {
            if (from != to && !Roots.Contains(from) && to.Length > 0)
                found.TryAdd((from, to), example);
        }
        using (var module = ModuleDefinition.ReadModule(typeof(QuotaPortal.Data.QuotaDbContext).Assembly.Location))
        {
            foreach (var type in module.GetTypes())
            {
                var outer = type;
                while (outer.DeclaringType is not null)
                    outer = outer.DeclaringType;
                if (RootTypes.Contains(outer.FullName) || outer.Namespace.StartsWith("QuotaPortal.src.", StringComparison.Ordinal))
                    continue; // the DbContext and the migrations see every entity by design
                var from = Folder(outer.Namespace);
                if (from is null)
                    continue;
                foreach (var used in References(type))
                    if (Folder(NamespaceOf(used)) is { } to)
                        Add(from, to, $"{outer.Name} uses {used.Name}");
            }
        }
        foreach (var (from, to, file) in UsingDirectives())
            Add(from, to, $"using in {file}");
        return new DependencyGraph { Edges = found.Select(kv => new DependencyEdge(kv.Key.Item1, kv.Key.Item2, kv.Value)).OrderBy(e => e.From).ThenBy(e => e.To).ToList() };
    }

    public IReadOnlyList<string>? FindCycle()
    {
        var next = Edges.GroupBy(e => e.From).ToDictionary(g => g.Key, g => g.Select(e => e.To).ToList());
        var state = new Dictionary<string, int>(); // 1 = on the current path, 2 = done
        var path = new List<string>();
        List<string>? Visit(string node)
        {
            state[node] = 1;
            path.Add(node);
            foreach (var to in next.GetValueOrDefault(node, []))
            {
                if (state.GetValueOrDefault(to) == 1)
                    return [.. path[path.IndexOf(to)..], to];
                if (state.GetValueOrDefault(to) == 0 && Visit(to) is { } cycle)
                    return cycle;
            }
            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }
        foreach (var node in next.Keys.Order())
            if (state.GetValueOrDefault(node) == 0 && Visit(node) is { } cycle)
                return cycle;
        return null;
    }

    /// <summary>"QuotaPortal.Budgets.Rules" → "Budgets"; "QuotaPortal" → ""; anything outside the app → null.</summary>
    private static string? Folder(string ns) =>
        ns == "QuotaPortal" ? "" : ns.StartsWith("QuotaPortal.", StringComparison.Ordinal) ? ns["QuotaPortal.".Length..].Split('.')[0] : null;

    private static string NamespaceOf(TypeReference t)
    {
        while (t.DeclaringType is not null)
            t = t.DeclaringType;
        return t.Namespace;
    }

    private static IEnumerable<TypeReference> References(TypeDefinition type)
    {
        var refs = new List<TypeReference>();
        if (type.BaseType is not null) refs.Add(type.BaseType);
        refs.AddRange(type.Interfaces.Select(i => i.InterfaceType));
        refs.AddRange(Attributes(type.CustomAttributes));
        foreach (var f in type.Fields)
        {
            refs.Add(f.FieldType);
            refs.AddRange(Attributes(f.CustomAttributes));
        }
        foreach (var p in type.Properties)
        {
            refs.Add(p.PropertyType);
            refs.AddRange(Attributes(p.CustomAttributes));
        }
        foreach (var m in type.Methods)
            refs.AddRange(MethodReferences(m));
        return refs.SelectMany(Flatten);
    }

    private static IEnumerable<TypeReference> MethodReferences(MethodDefinition m)
    {
        yield return m.ReturnType;
        foreach (var p in m.Parameters)
            yield return p.ParameterType;
        foreach (var a in Attributes(m.CustomAttributes))
            yield return a;
        if (!m.HasBody)
            yield break;
        foreach (var v in m.Body.Variables)
            yield return v.VariableType;
        foreach (var i in m.Body.Instructions)
        {
            switch (i.Operand)
            {
                case TypeReference t:
                    yield return t;
                    break;
                case MethodReference mr:
                    yield return mr.DeclaringType;
                    yield return mr.ReturnType;
                    foreach (var p in mr.Parameters)
                        yield return p.ParameterType;
                    if (mr is GenericInstanceMethod gm)
                        foreach (var g in gm.GenericArguments)
                            yield return g;
                    break;
                case FieldReference fr:
                    yield return fr.DeclaringType;
                    yield return fr.FieldType;
                    break;
            }
        }
    }

    private static IEnumerable<TypeReference> Attributes(IEnumerable<CustomAttribute> attributes)
    {
        foreach (var a in attributes)
        {
            yield return a.AttributeType;
            foreach (var arg in a.ConstructorArguments.Concat(a.Properties.Select(p => p.Argument)))
                if (arg.Value is TypeReference t)
                    yield return t;
        }
    }

    private static IEnumerable<TypeReference> Flatten(TypeReference t)
    {
        switch (t)
        {
            case GenericInstanceType g:
                foreach (var x in Flatten(g.ElementType).Concat(g.GenericArguments.SelectMany(Flatten)))
                    yield return x;
                break;
            case TypeSpecification s:
                foreach (var x in Flatten(s.ElementType))
                    yield return x;
                break;
            case GenericParameter:
                break;
            default:
                yield return t;
                break;
        }
    }

    private static IEnumerable<(string From, string To, string File)> UsingDirectives()
    {
        var src = Path.Combine(RepoRoot(), "src");
        foreach (var file in Directory.EnumerateFiles(src, "*.*", SearchOption.AllDirectories)
                     .Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".razor", StringComparison.Ordinal)))
        {
            var relative = Path.GetRelativePath(src, file).Replace('\\', '/');
            if (!relative.Contains('/') || relative.StartsWith("Composition/", StringComparison.Ordinal) || relative.StartsWith("Data/Migrations/", StringComparison.Ordinal)
                || relative == "Data/QuotaDbContext.cs")
                continue;
            var from = relative.Split('/')[0];
            foreach (var line in File.ReadLines(file))
            {
                var text = line.Trim();
                foreach (var prefix in new[] { "using QuotaPortal.", "@using QuotaPortal.", "global using QuotaPortal." })
                    if (text.StartsWith(prefix, StringComparison.Ordinal))
                        yield return (from, text[prefix.Length..].TrimEnd(';').Split('.')[0], relative);
            }
        }
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "QuotaPortal.sln")))
                return dir.FullName;
        throw new InvalidOperationException("QuotaPortal.sln not found above " + AppContext.BaseDirectory);
    }
}
