namespace MlNetStem.Model;

/// <summary>
/// Marks a transformer that can be saved in a model archive. The type must have a
/// <c>public static ITransformer Load(ComponentLoadContext)</c> method.
/// </summary>
/// <param name="kind">Stable name written into archives; never change it once shipped.</param>
/// <param name="version">Format version this build writes and the newest it reads.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ModelComponentAttribute(string kind, int version) : Attribute
{
    /// <summary>Stable component name.</summary>
    public string Kind { get; } = kind;

    /// <summary>Format version written by this build; also the newest it can read.</summary>
    public int Version { get; } = version;

    /// <summary>Oldest reader version that can read what this build writes (defaults to <see cref="Version"/>).</summary>
    public int MinReaderVersion { get; init; }

    /// <summary>Oldest written version this build can still read (defaults to 1).</summary>
    public int OldestReadableVersion { get; init; } = 1;
}
