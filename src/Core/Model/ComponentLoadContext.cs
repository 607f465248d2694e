using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetStem.Pipeline;

namespace MlNetStem.Model;

/// <summary>Where a component reads itself back from a model archive.</summary>
public sealed class ComponentLoadContext
{
    private readonly ZipArchive _zip;
    private readonly string _directory;

    internal ComponentLoadContext(ZipArchive zip, string directory, ComponentHeader header)
    {
        _zip = zip;
        _directory = directory;
        Header = header;
    }

    /// <summary>What the archive says about this component (kind, written version).</summary>
    public ComponentHeader Header { get; }

    /// <summary>Format version the component was written with.</summary>
    public int Version => Header.Version;

    /// <summary>True when the archive holds entry <paramref name="name"/>.</summary>
    public bool Has(string name) => _zip.GetEntry(_directory + name) is not null;

    /// <summary>Reads JSON entry <paramref name="name"/>.</summary>
    /// <exception cref="ModelFormatException">Missing or malformed entry.</exception>
    public T ReadJson<T>(string name)
    {
        using var stream = OpenRead(name);
        try
        {
            return JsonSerializer.Deserialize<T>(stream, ComponentSaveContext.Json) ??
                throw new ModelFormatException($"Model entry '{_directory}{name}' is empty.");
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"Model entry '{_directory}{name}' is not valid: {e.Message}", e);
        }
    }

    /// <summary>Reads a whole entry as bytes.</summary>
    public byte[] ReadBytes(string name)
    {
        using var stream = OpenRead(name);
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    /// <summary>Reads floats written by <see cref="ComponentSaveContext.WriteFloats"/>, checking the count.</summary>
    /// <exception cref="ModelFormatException">The entry holds a different number of values.</exception>
    public float[] ReadFloats(string name, int expectedCount)
    {
        var bytes = ReadBytes(name);
        if (bytes.Length != expectedCount * sizeof(float))
            throw new ModelFormatException(
                $"Model entry '{_directory}{name}' holds {bytes.Length / sizeof(float)} values, expected {expectedCount} (truncated or mismatched archive).");
        return MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }

    /// <summary>Opens entry <paramref name="name"/> for reading.</summary>
    /// <exception cref="ModelFormatException">The entry does not exist.</exception>
    public Stream OpenRead(string name)
    {
        var entry = _zip.GetEntry(_directory + name) ??
            throw new ModelFormatException($"Model archive lacks entry '{_directory}{name}' (truncated or not written by MlNetStem).");
        try
        {
            // Decompress fully so truncation surfaces here as a clear error, not mid-parse.
            using var source = entry.Open();
            var copy = new MemoryStream();
            source.CopyTo(copy);
            copy.Position = 0;
            return copy;
        }
        catch (InvalidDataException e)
        {
            throw new ModelFormatException($"Model entry '{_directory}{name}' is corrupt: {e.Message}", e);
        }
    }

    /// <summary>Loads the child component saved under <paramref name="name"/>.</summary>
    public ITransformer LoadChild(string name) => Read(_zip, $"{_directory}{name}/");

    internal static ITransformer Read(ZipArchive zip, string directory)
    {
        var probe = new ComponentLoadContext(zip, directory, new ComponentHeader("?", 0, 0));
        var header = probe.ReadJson<ComponentHeader>("component.json");
        if (header.Kind == ComponentSaveContext.ChainKind)
        {
            var manifest = probe.ReadJson<ComponentSaveContext.ChainManifest>("chain.json");
            if (manifest.Count < 0 || manifest.Count > 1000)
                throw new ModelFormatException($"Model entry '{directory}chain.json' lists {manifest.Count} components.");
            return new TransformerChain<ITransformer>(
                Enumerable.Range(0, manifest.Count).Select(i => probe.LoadChild($"{i:D2}")).ToArray());
        }
        var type = ModelComponentRegistry.Find(header.Kind);
        var attribute = ModelComponentRegistry.Describe(type);
        if (header.MinReaderVersion > attribute.Version)
            throw new ModelFormatException(
                $"Component '{header.Kind}' was written in format version {header.Version}, which needs a reader of version " +
                $"{header.MinReaderVersion} or newer; this build reads up to version {attribute.Version}. Update MlNetStem.");
        if (header.Version < attribute.OldestReadableVersion)
            throw new ModelFormatException(
                $"Component '{header.Kind}' format version {header.Version} is older than this build can read (oldest {attribute.OldestReadableVersion}).");
        return ModelComponentRegistry.Invoke(type, new ComponentLoadContext(zip, directory, header));
    }
}
