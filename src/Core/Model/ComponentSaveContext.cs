using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetStem.Pipeline;

namespace MlNetStem.Model;

/// <summary>Where a component writes itself inside a model archive: its own folder of entries.</summary>
public sealed class ComponentSaveContext
{
    private readonly ZipArchive _zip;
    private readonly string _directory;

    internal ComponentSaveContext(ZipArchive zip, string directory)
    {
        _zip = zip;
        _directory = directory;
    }

    internal static readonly JsonSerializerOptions Json = new() { WriteIndented = true, IncludeFields = false };

    /// <summary>Writes <paramref name="value"/> as JSON into entry <paramref name="name"/>.</summary>
    public void WriteJson<T>(string name, T value)
    {
        using var stream = OpenWrite(name);
        JsonSerializer.Serialize(stream, value, Json);
    }

    /// <summary>Writes raw bytes into entry <paramref name="name"/>.</summary>
    public void WriteBytes(string name, ReadOnlySpan<byte> bytes)
    {
        using var stream = OpenWrite(name);
        stream.Write(bytes);
    }

    /// <summary>Writes floats (little-endian) into entry <paramref name="name"/>.</summary>
    public void WriteFloats(string name, ReadOnlySpan<float> values) => WriteBytes(name, MemoryMarshal.AsBytes(values));

    /// <summary>Opens entry <paramref name="name"/> for writing (e.g. a state dict).</summary>
    public Stream OpenWrite(string name)
    {
        ValidateName(name);
        return _zip.CreateEntry(_directory + name, CompressionLevel.Fastest).Open();
    }

    /// <summary>Saves a child component into sub-folder <paramref name="name"/>.</summary>
    public void SaveChild(string name, ITransformer child)
    {
        ValidateName(name);
        Write(_zip, $"{_directory}{name}/", child);
    }

    internal const string ChainKind = "TransformerChain";
    internal const int ChainVersion = 1;

    internal static void Write(ZipArchive zip, string directory, ITransformer component)
    {
        var context = new ComponentSaveContext(zip, directory);
        if (component is TransformerChain<ITransformer> or IEnumerable<ITransformer> && component.GetType().IsGenericType &&
            component.GetType().GetGenericTypeDefinition() == typeof(TransformerChain<>))
        {
            // Microsoft.ML's chain: saved as its parts, in order.
            var parts = ((IEnumerable<ITransformer>)component).ToArray();
            context.WriteJson("component.json", new ComponentHeader(ChainKind, ChainVersion, ChainVersion));
            context.WriteJson("chain.json", new ChainManifest(parts.Length));
            for (int i = 0; i < parts.Length; i++) context.SaveChild($"{i:D2}", parts[i]);
            return;
        }
        if (component is not ArchivableTransformer archivable)
            throw new NotSupportedException($"{component.GetType().Name} is not an MlNetStem component and cannot be written " +
                "into an MlNetStem model archive.");
        var attribute = ModelComponentRegistry.Describe(component.GetType());
        var header = new ComponentHeader(attribute.Kind, attribute.Version,
            attribute.MinReaderVersion == 0 ? attribute.Version : attribute.MinReaderVersion);
        context.WriteJson("component.json", header);
        archivable.Save(context);
    }

    internal sealed record ChainManifest(int Count);

    private static void ValidateName(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Contains("..") || name.StartsWith('/'))
            throw new ArgumentException($"'{name}' is not a valid archive entry name.", nameof(name));
    }
}
