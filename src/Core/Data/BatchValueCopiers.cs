using System.Collections.Concurrent;

namespace MlNetStem.Data;

/// <summary>
/// Copies of values that their producer owns only until the next row. Some Microsoft.ML getters hand out disposable
/// objects (ImageAnalytics' <c>MLImage</c>) that they dispose or reuse when the cursor moves on; a batch keeps rows
/// longer, so such values are copied as they are read. A component that batches such a type registers how to copy it.
/// </summary>
public static class BatchValueCopiers
{
    private static readonly ConcurrentDictionary<Type, Delegate> Copiers = new();

    /// <summary>Registers how to copy values of <typeparamref name="T"/> (idempotent; the last registration wins).</summary>
    public static void Register<T>(Func<T, T> copy) where T : class
    {
        ArgumentNullException.ThrowIfNull(copy);
        Copiers[typeof(T)] = copy;
    }

    /// <summary>The copier of <typeparamref name="T"/>, or null.</summary>
    internal static Func<T, T>? Find<T>() => Copiers.TryGetValue(typeof(T), out var copy) ? (Func<T, T>)copy : null;
}
