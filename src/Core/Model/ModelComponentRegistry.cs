using System.Collections.Concurrent;
using System.Reflection;
using MlNetStem.Pipeline;

namespace MlNetStem.Model;

/// <summary>
/// Finds loadable components by kind. Scans MlNetStem assemblies (also those next to the
/// application that are not loaded yet), so the core needs no reference to any trainer.
/// </summary>
public static class ModelComponentRegistry
{
    private static readonly Lazy<ConcurrentDictionary<string, Type>> Components = new(Scan);

    /// <summary>Attribute of a saveable transformer type.</summary>
    /// <exception cref="InvalidOperationException">The type lacks <see cref="ModelComponentAttribute"/>.</exception>
    public static ModelComponentAttribute Describe(Type type)
    {
        var definition = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        return definition.GetCustomAttribute<ModelComponentAttribute>() ??
            throw new InvalidOperationException($"{type.Name} cannot be saved: it has no [ModelComponent] attribute.");
    }

    /// <summary>Registers a component type explicitly (plugins loaded from elsewhere).</summary>
    public static void Register(Type type) => Components.Value[Describe(type).Kind] = type;

    internal static Type Find(string kind) => Components.Value.TryGetValue(kind, out var t)
        ? t
        : throw new ModelFormatException(
            $"Unknown model component '{kind}': written by a newer MlNetStem or a plugin that is not loaded " +
            $"(known: {string.Join(", ", Components.Value.Keys.Order())}).");

    internal static ITransformer Invoke(Type type, ComponentLoadContext context)
    {
        if (type.IsGenericTypeDefinition)
            type = type.MakeGenericType(type.GetGenericArguments().Select(_ => typeof(ITransformer)).ToArray());
        var load = type.GetMethod("Load", BindingFlags.Public | BindingFlags.Static, [typeof(ComponentLoadContext)]) ??
            throw new InvalidOperationException($"{type.Name} has no public static Load(ComponentLoadContext).");
        try
        {
            return (ITransformer)load.Invoke(null, [context])!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }

    private static ConcurrentDictionary<string, Type> Scan()
    {
        foreach (var file in Directory.EnumerateFiles(AppContext.BaseDirectory, "MlNetStem.*.dll"))
        {
            // Native libraries with a matching name and assemblies outside this app's
            // dependency list are not components of this app: skip them.
            try { Assembly.Load(AssemblyName.GetAssemblyName(file)); }
            catch (Exception e) when (e is BadImageFormatException or FileLoadException or FileNotFoundException) { }
        }
        var result = new ConcurrentDictionary<string, Type>(StringComparer.Ordinal);
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies().Where(a => a.GetName().Name?.StartsWith("MlNetStem", StringComparison.Ordinal) == true))
        {
            foreach (var t in LoadableTypes(assembly))
            {
                ModelComponentAttribute? a;
                try { a = t.GetCustomAttribute<ModelComponentAttribute>(); }
                catch (Exception e) when (e is FileNotFoundException or FileLoadException or TypeLoadException) { continue; }
                if (a is not null) result[a.Kind] = t;
            }
        }
        return result;
    }

    // An assembly next to the app may reference something absent (e.g. a test helper's
    // dependencies); its loadable types still count, and a broken one must not stop loading.
    private static IEnumerable<Type> LoadableTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            return e.Types.Where(t => t is not null)!;
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            return [];
        }
    }
}
