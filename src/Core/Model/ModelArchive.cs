using System.IO.Compression;
using System.Reflection;
using System.Text.Json;
using Microsoft.ML;
using MlNetStem.Data;
using MlNetStem.Pipeline;

namespace MlNetStem.Model;

/// <summary>
/// The model file: a zip with a manifest (format version, input schema) and one folder
/// per component, each with its own versioned header. Written atomically. When the model has a trainer, the same zip is
/// also an ML.NET model of that trainer (features → expression): <c>MLContext.Model.Load</c> reads it without MlNetStem.
/// </summary>
public static class ModelArchive
{
    /// <summary>Archive layout version written by this build (and the newest it reads).</summary>
    public const int FormatVersion = 1;

    private const string ManifestEntry = "mlnetstem.json";
    private const string RootDirectory = "model/";
    private const string FormatName = "mlnetstem-model";

    /// <summary>
    /// Saves <paramref name="model"/> to <paramref name="path"/> through a temporary file
    /// and a rename, so a crash never leaves a half-written model under the final name.
    /// </summary>
    /// <param name="model">The fitted transformer (usually a chain).</param>
    /// <param name="inputSchema">Schema of the data the model expects, recorded for checks at load time.</param>
    /// <param name="path">Destination .zip.</param>
    /// <param name="training">What the model was trained on (shown by inspect), or null.</param>
    public static void Save(ITransformer model, DataViewSchema? inputSchema, string path, TrainingDataSummary? training = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        // Through a temporary file and a rename: a killed save never leaves half an archive (AtomicFile).
        AtomicFile.Write(path, temp =>
        {
            using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write);
            using (var zip = new ZipArchive(file, ZipArchiveMode.Create, leaveOpen: true))
            {
                var manifest = new ArchiveManifest(FormatName, FormatVersion,
                    typeof(ModelArchive).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown",
                    DateTime.UtcNow,
                    inputSchema?.Visible().Where(c => ColumnTypes.ArchiveName(c.Type) is not null)
                        .Select(c => new ArchivedColumn(c.Name, ColumnTypes.ArchiveName(c.Type)!, c.SlotNames?.ToArray())).ToArray(),
                    training);
                using (var stream = zip.CreateEntry(ManifestEntry).Open())
                    JsonSerializer.Serialize(stream, manifest, ComponentSaveContext.Json);
                ComponentSaveContext.Write(zip, RootDirectory, model);
                AddMLNetModel(zip, model);
            }
            file.Flush(flushToDisk: true);
        });
    }

    /// <summary>Loads a model written by <see cref="Save"/>.</summary>
    /// <param name="path">The .zip file.</param>
    /// <param name="inputSchema">The input schema recorded at save time, or null if none was.</param>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="ModelFormatException">Not a model archive, truncated, unknown component or newer format.</exception>
    public static ITransformer Load(string path, out DataViewSchema? inputSchema)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Model archive '{path}' does not exist.", path);
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(File.OpenRead(path), ZipArchiveMode.Read);
        }
        catch (InvalidDataException e)
        {
            throw new ModelFormatException($"'{path}' is not a model archive or is truncated: {e.Message}", e);
        }
        using (zip)
        {
            var manifest = ReadManifest(zip, path);
            inputSchema = manifest.InputSchema is null
                ? null
                : SchemaExtensions.Create(manifest.InputSchema.Select(c => SchemaColumns.Create(c.Name, ColumnTypes.ParseArchiveName(c.Type), c.SlotNames)));
            try
            {
                return ComponentLoadContext.Read(zip, RootDirectory);
            }
            catch (InvalidDataException e)
            {
                throw new ModelFormatException($"'{path}' is corrupt: {e.Message}", e);
            }
        }
    }

    /// <summary>What the archive's manifest says: format version, the MlNetStem version that wrote it and when.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="ModelFormatException">Not a model archive, or a corrupt or newer manifest.</exception>
    public static ModelArchiveInfo ReadInfo(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Model archive '{path}' does not exist.", path);
        try
        {
            using var zip = new ZipArchive(File.OpenRead(path), ZipArchiveMode.Read);
            var manifest = ReadManifest(zip, path);
            return new ModelArchiveInfo(manifest.FormatVersion, manifest.CreatedBy, manifest.CreatedUtc, manifest.Training);
        }
        catch (InvalidDataException e)
        {
            throw new ModelFormatException($"'{path}' is not a model archive or is truncated: {e.Message}", e);
        }
    }

    private static ArchiveManifest ReadManifest(ZipArchive zip, string path)
    {
        var entry = zip.GetEntry(ManifestEntry) ??
            throw new ModelFormatException($"'{path}' is not an MlNetStem model archive (no {ManifestEntry}).");
        ArchiveManifest manifest;
        try
        {
            using var stream = ComponentLoadContext.InflateEntry(entry, ManifestEntry, ComponentLoadContext.MaxJsonBytes);
            manifest = JsonSerializer.Deserialize<ArchiveManifest>(stream, ComponentSaveContext.Json)
                ?? throw new ModelFormatException($"'{path}': empty manifest.");
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            throw new ModelFormatException($"'{path}': manifest is corrupt: {e.Message}", e);
        }
        if (manifest.Format != FormatName)
            throw new ModelFormatException($"'{path}' has format '{manifest.Format}', expected '{FormatName}'.");
        if (manifest.FormatVersion > FormatVersion)
            throw new ModelFormatException(
                $"'{path}' uses archive format version {manifest.FormatVersion}; this build reads up to version {FormatVersion}. Update MlNetStem.");
        return manifest;
    }

    /// <summary>
    /// Adds the model's trainer (its last ONNX-exportable component: features → expression) as an ML.NET model in the same
    /// zip, so <c>MLContext.Model.Load</c> on an MlNetStem archive returns that trainer as a stock transformer. ML.NET's
    /// entries (TransformerChain/, Schema, TrainingInfo/) and ours (mlnetstem.json, model/) do not overlap; each loader
    /// ignores the other's.
    /// </summary>
    private static void AddMLNetModel(ZipArchive zip, ITransformer model)
    {
        var trainer = (model as IEnumerable<ITransformer> ?? [model]).OfType<IOnnxExportableTransformer>().LastOrDefault();
        if (trainer is null) return;
        using var buffer = new MemoryStream();
        new MLContext().Model.Save(trainer, null, buffer);
        buffer.Position = 0;
        using var mlnet = new ZipArchive(buffer, ZipArchiveMode.Read);
        foreach (var entry in mlnet.Entries)
        {
            if (entry.FullName == ManifestEntry || entry.FullName.StartsWith(RootDirectory, StringComparison.Ordinal))
                throw new InvalidOperationException($"ML.NET wrote an entry '{entry.FullName}' that collides with MlNetStem's archive layout.");
            using var from = entry.Open();
            using var to = zip.CreateEntry(entry.FullName, CompressionLevel.Fastest).Open();
            from.CopyTo(to);
        }
    }

    private sealed record ArchiveManifest(string Format, int FormatVersion, string CreatedBy, DateTime CreatedUtc,
        ArchivedColumn[]? InputSchema, TrainingDataSummary? Training = null);

    private sealed record ArchivedColumn(string Name, string Type, string[]? SlotNames);
}
