using System.Diagnostics;
using System.Globalization;
using MlNetStem.Data;

namespace MlNetStem.Host.Commands;

/// <summary>
/// Featurizes a section's spots with the pipeline's featurizer (morphology, ONNX encoders, ...) and writes them as an
/// .h5ad: obsm['X_&lt;featurizer&gt;'] next to obsm['spatial'], the observed log2(x+1) counts as X, and uns['spatial']
/// so scanpy/squidpy draw them over the H&amp;E.
/// </summary>
public sealed class FeaturizeCommand : ICommand
{
    /// <summary>The pipeline options featurize shares with train: the featurization ones, defaults and help written once there.</summary>
    private static readonly string[] SharedOptions = ["patch-um", "patch-px", "featurizer", "encoder", "embedding-cache", "augment"];

    /// <inheritdoc />
    public string Name => "featurize";

    /// <inheritdoc />
    public string Summary => "compute the featurizer's per-spot features of a section; write .h5ad (obsm['X_<featurizer>'], scanpy-ready)";

    /// <inheritdoc />
    public IReadOnlyList<CommandOption> Options { get; } =
    [
        new("input", "section: HER2ST folder, Space Ranger outs/, HEST-1k folder or .h5ad (counts optional)", "PATH"),
        new("output", "features to write (.h5ad): obsm['X_<featurizer>'] per spot, X = observed log2(x+1) counts when the section has them",
            "FILE", "features.h5ad"),
        .. SectionReader.ImageOptions,
        .. PipelineSettings.CommandOptions.Where(o => SharedOptions.Contains(o.Name)),
    ];

    /// <inheritdoc />
    public int Run(ParsedArguments args)
    {
        string input = args.Require("input");
        string output = args.Get("output", "features.h5ad")!;
        if (!output.EndsWith(".h5ad", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"'--output {output}': the extension must be .h5ad");
        var settings = PipelineSettings.From(args);
        OutputPaths.CheckFile("output", output);
        string? sample = args.Get("sample");
        var section = SectionReader.LoadSection(input, requireCounts: false, args.GetDouble("mpp"), Console.Error, args.Get("image"), sample);
        var ctx = Contexts.Create(1, new ConsoleProgressReporter());
        // The featurization train and benchmark use, so every featurizer the pipeline knows is offered here too.
        var featurizer = StandardPipeline.Featurization(ctx, settings).Fit(section.Data);
        string column = StandardPipeline.FeatureColumn(settings);
        var featured = featurizer.Transform(section.Data);
        string[] keep = [.. section.Data.Schema.Visible().Select(c => c.Name).Where(n => n != SpotColumns.Image), column];
        var clock = Stopwatch.StartNew();
        InMemoryDataView spots;
        using (var scope = ctx.SpatialExpression().Progress.Start("featurizing spots", section.Data.Rows))
            spots = DataViewMaterializer.Materialize(featured, keep, onBatch: n => scope.Advance(n), batchSize: 32);
        double seconds = clock.Elapsed.TotalSeconds, rate = spots.Rows / Math.Max(seconds, 1e-9);
        string name = StandardPipeline.FeaturizerName(featurizer, settings.Featurizer);
        var embeddings = FeatureEmbedding.Read(spots, column, name, allViews: settings.DihedralViews);
        string library = SectionReader.NameOf(input, sample);
        var provenance = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["featurizer"] = settings.Featurizer,
            ["patch_um"] = settings.PatchMicrons,
            ["patch_px"] = (long)settings.PatchPixels,
            ["augment"] = settings.DihedralViews ? "dihedral" : "none",
            ["input"] = Path.GetFullPath(input),
            ["created_utc"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["mlnetstem_version"] = PredictionProvenance.CurrentVersion,
        };
        if (settings.UsesOnnx) provenance["encoders"] = settings.Encoders!.ToArray();
        if (settings.DihedralViews)
            provenance["views"] = "obsm X_*: the patch as is (view 0); X_*_views: the 8 flips/rotations, view v at columns [v*D, (v+1)*D)";
        if (section.MicronsPerPixel is { } mpp) provenance["microns_per_pixel"] = mpp;
        int rows = FeatureH5adWriter.Write(spots, output, embeddings, SpatialLibraries.FromSection(section, library, Console.Error), provenance);
        Console.WriteLine($"wrote {rows} spots to {output}: " +
            string.Join(", ", embeddings.Select(e => $"obsm['{e.Key}'] {e.Values.GetLength(1)} features")) +
            (section.Data.Schema.Find(SpotColumns.Counts) is { } counts ? $", X {counts.Type.Size} genes (log2(x+1))" : ", X empty (no counts)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"featurized {rows} spots in {seconds:0.00} s: {rate:0.0} spots/s ({settings.Featurizer}, {settings.PatchPixels} px patches of {settings.PatchMicrons:0.#} µm)"));
        return 0;
    }
}
