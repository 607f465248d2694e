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

    /// <summary>Largest JSON entry <see cref="ReadJson{T}"/> reads (64 MiB): headers, options and gene lists are far smaller.</summary>
    public const long MaxJsonBytes = 64L << 20;

    /// <summary>Largest entry <see cref="OpenRead(string)"/> reads without an explicit limit (1 GiB).</summary>
    public const long DefaultMaxEntryBytes = 1L << 30;

    /// <summary>Largest entry <see cref="ReadBytes"/> can return: the largest byte array .NET allocates.</summary>
    public static readonly long MaxBytesEntry = Array.MaxLength;

    /// <summary>Reads JSON entry <paramref name="name"/> (at most <see cref="MaxJsonBytes"/>).</summary>
    /// <exception cref="ModelFormatException">Missing, oversized or malformed entry.</exception>
    public T ReadJson<T>(string name)
    {
        using var stream = OpenRead(name, MaxJsonBytes);
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
    /// <param name="name">Entry name inside the component's folder.</param>
    /// <param name="maxBytes">Largest uncompressed size accepted; a larger entry is refused before anything is inflated.</param>
    /// <exception cref="ModelFormatException">Missing, corrupt, or larger than <paramref name="maxBytes"/>.</exception>
    public byte[] ReadBytes(string name, long maxBytes = long.MaxValue)
    {
        using var stream = Inflate(Entry(name), name, Math.Min(maxBytes, MaxBytesEntry));
        return stream.ToArray();
    }

    /// <summary>Reads floats written by <see cref="ComponentSaveContext.WriteFloats"/>, checking the count.</summary>
    /// <exception cref="ModelFormatException">The entry holds a different number of values (checked on the size the archive
    /// declares, before inflating it, and again on what it inflates to).</exception>
    public float[] ReadFloats(string name, int expectedCount)
    {
        if (expectedCount < 0)
            throw new ModelFormatException($"Model entry '{_directory}{name}': the component records an impossible size ({expectedCount} values).");
        long expectedBytes = (long)expectedCount * sizeof(float);
        var entry = Entry(name);
        if (entry.Length != expectedBytes)
            throw new ModelFormatException(
                $"Model entry '{_directory}{name}' holds {entry.Length / sizeof(float)} values, expected {expectedCount} (truncated or mismatched archive).");
        using var stream = Inflate(entry, name, expectedBytes);
        if (stream.Length != expectedBytes)
            throw new ModelFormatException(
                $"Model entry '{_directory}{name}' holds {stream.Length / sizeof(float)} values, expected {expectedCount} (truncated or mismatched archive).");
        return MemoryMarshal.Cast<byte, float>(stream.GetBuffer().AsSpan(0, (int)expectedBytes)).ToArray();
    }

    /// <summary>Opens entry <paramref name="name"/> for reading (at most <see cref="DefaultMaxEntryBytes"/>).</summary>
    /// <exception cref="ModelFormatException">The entry does not exist, is corrupt or is too large.</exception>
    public Stream OpenRead(string name) => OpenRead(name, DefaultMaxEntryBytes);

    /// <summary>Opens entry <paramref name="name"/> for reading, refusing one larger than <paramref name="maxBytes"/>.</summary>
    /// <param name="name">Entry name inside the component's folder.</param>
    /// <param name="maxBytes">Largest uncompressed size accepted (e.g. what a state dict of the recorded architecture needs).</param>
    /// <exception cref="ModelFormatException">The entry does not exist, is corrupt, or declares or inflates to more than
    /// <paramref name="maxBytes"/> (or more than its declared size).</exception>
    public Stream OpenRead(string name, long maxBytes) => Inflate(Entry(name), name, maxBytes);

    private ZipArchiveEntry Entry(string name) => _zip.GetEntry(_directory + name) ??
        throw new ModelFormatException($"Model archive lacks entry '{_directory}{name}' (truncated or not written by MlNetStem).");

    private MemoryStream Inflate(ZipArchiveEntry entry, string name, long maxBytes) =>
        InflateEntry(entry, _directory + name, maxBytes);

    /// <summary>
    /// Inflates <paramref name="entry"/> into memory after checking its declared uncompressed size against
    /// <paramref name="maxBytes"/>, and stops as soon as it inflates to more than it declared (a zip bomb lies there):
    /// at most min(declared, limit) + 1 bytes are ever held.
    /// </summary>
    internal static MemoryStream InflateEntry(ZipArchiveEntry entry, string fullName, long maxBytes)
    {
        long declared = entry.Length;
        maxBytes = Math.Min(maxBytes, Array.MaxLength);
        if (declared < 0 || declared > maxBytes)
            throw new ModelFormatException(
                $"Model entry '{fullName}' declares {declared:N0} bytes uncompressed, more than the {maxBytes:N0} this entry may hold " +
                "(a corrupt or malicious archive); refused before inflating it.");
        try
        {
            // Decompress fully so truncation surfaces here as a clear error, not mid-parse.
            using var source = entry.Open();
            var copy = new MemoryStream((int)declared);
            var buffer = new byte[81920];
            long total = 0;
            int read;
            while ((read = source.Read(buffer, 0, (int)Math.Min(buffer.Length, declared - total + 1))) > 0)
            {
                total += read;
                if (total > declared)
                    throw new ModelFormatException(
                        $"Model entry '{fullName}' inflates to more than the {declared:N0} bytes it declares (a corrupt or malicious archive).");
                copy.Write(buffer, 0, read);
            }
            if (total != declared)
                throw new ModelFormatException($"Model entry '{fullName}' inflates to {total:N0} bytes, not the {declared:N0} it declares (truncated archive).");
            copy.Position = 0;
            return copy;
        }
        catch (InvalidDataException e)
        {
            throw new ModelFormatException($"Model entry '{fullName}' is corrupt: {e.Message}", e);
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
            if (manifest.Count < 0 || manifest.Count > MaxChainLength)
                throw new ModelFormatException(
                    $"Model entry '{directory}chain.json' lists {manifest.Count} components; a chain holds 0 to {MaxChainLength} (corrupt archive).");
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
        try
        {
            return ModelComponentRegistry.Invoke(type, new ComponentLoadContext(zip, directory, header));
        }
        catch (Exception e) when (e is ArgumentException or OverflowException or IndexOutOfRangeException or OutOfMemoryException)
        {
            // Sizes or values in the component's entries that its constructor refuses: a corrupt archive, said as such.
            string reason = e is ArgumentException a && a.ParamName is not null ? a.Message.Replace($" (Parameter '{a.ParamName}')", "") : e.Message;
            throw new ModelFormatException($"Model component '{header.Kind}' in '{directory}' is inconsistent (corrupt archive): {reason}", e);
        }
    }

    /// <summary>Most components a saved chain may list.</summary>
    private const int MaxChainLength = 1000;
}
