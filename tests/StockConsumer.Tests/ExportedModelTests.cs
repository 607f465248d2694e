using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Xunit;
using Xunit.Abstractions;

namespace MlNetStem.StockConsumer.Tests;

/// <summary>
/// A plain ML.NET app runs MlNetStem's exported models. The CLI (a separate process) trains on the bundled section C2,
/// exports the trainer to ONNX and predicts C3 to CSV together with the model's input features per spot; this project
/// — Microsoft.ML, Microsoft.ML.OnnxTransformer and Microsoft.ML.OnnxRuntime only — loads the features with
/// <c>TextLoader</c>, scores them with <c>ApplyOnnxModel</c>, compares spot by spot (joined on Barcode) with the
/// CLI's predictions, and round-trips the fitted pipeline through <c>ml.Model.Save</c>/<c>ml.Model.Load</c>.
/// </summary>
public sealed class ExportedModelTests(ITestOutputHelper output)
{
    /// <summary>MLP: |ONNX in ML.NET − CLI| ≤ 1e-3 for every spot and gene. The graph computes what the CLI computes, up
    /// to float rounding and the 6 significant digits of the predictions CSV.</summary>
    private const double MlpTolerance = 1e-3;

    /// <summary>
    /// Ridge: |ONNX in ML.NET − CLI| ≤ 1e-4 for every spot and gene. Ridge subtracts the training feature means before its
    /// weights (in process and in the graph), so nearly constant features (std ≈ 3e-4, weights ≈ ±2800) no longer cancel
    /// against a large bias in float32; what is left is rounding and the CSV's 6 significant digits.
    /// </summary>
    private const double RidgeTolerance = 1e-4;

    /// <summary>Stem samples: the CLI and ONNX Runtime draw different noise, so the two predictions (each the mean of the
    /// model's draws) agree statistically, not value for value. Their per-gene Pearson correlation over the section,
    /// averaged over genes, must reach this.</summary>
    private const double StemMinimumMeanPcc = 0.9;

    [Fact]
    public void Ridge_ApplyOnnxModel_MatchesCliPredictions_MaxAbsDiffWithin1e4_AndModelSaveLoadGivesIdenticalOutputs()
    {
        var run = Run("ridge", "features", ["expression"], ["--genes", "50"], [], sampled: false);
        var (absolute, relative) = Differences(run);
        output.WriteLine($"ridge: max |ONNX in ML.NET − CLI| = {absolute:G3}; max of |difference| / max(1, |CLI|) = {relative:G3}");
        Assert.True(absolute <= RidgeTolerance, $"ridge: max abs difference {absolute} > {RidgeTolerance} (relative {relative})");
    }

    [Fact]
    public void Mlp_ApplyOnnxModel_MatchesCliPredictions_MaxAbsDiffWithin1e3_AndModelSaveLoadGivesIdenticalOutputs()
    {
        var run = Run("mlp", "features", ["expression"], ["--genes", "50", "--epochs", "30"], [], sampled: false);
        var (absolute, _) = Differences(run);
        output.WriteLine($"mlp: max |ONNX in ML.NET − CLI| = {absolute:G3}");
        Assert.True(absolute <= MlpTolerance, $"mlp: max abs difference {absolute} > {MlpTolerance}");
    }

    /// <summary>Tolerance: per-gene PCC between the CLI's and ML.NET's predictions, averaged over genes, ≥ 0.9 (different noise).</summary>
    [Fact]
    public void Stem_ApplyOnnxModel_AgreesWithCliPredictions_MeanPerGenePccAtLeast0_9_AndModelSaveLoadGivesIdenticalOutputs()
    {
        // 20 sampling steps in both the exported graph and the CLI's prediction keep ML.NET's row-by-row sampling short.
        var run = Run("stem", "features", ["expression", "expression_std"], ["--genes", "20", "--epochs", "20"], ["--steps", "20"],
            sampled: true);
        var pccs = new List<double>();
        for (int g = 0; g < run.Cli.Genes.Count; g++)
        {
            var cli = run.Cli.ByBarcode.Select(p => (double)p.Value[g]).ToArray();
            var onnx = run.Cli.ByBarcode.Select(p => (double)run.MlNet[p.Key][g]).ToArray();
            pccs.Add(Pearson(cli, onnx));
        }
        Assert.All(pccs, p => Assert.False(double.IsNaN(p), "a gene's prediction is constant over the section"));
        double mean = pccs.Average();
        output.WriteLine($"stem: mean per-gene PCC(ONNX in ML.NET, CLI) = {mean:0.0000} (min {pccs.Min():0.0000}); " +
            $"max |difference| {Differences(run).Absolute:G3}");
        Assert.True(mean >= StemMinimumMeanPcc, $"stem: mean per-gene PCC {mean:0.0000} < {StemMinimumMeanPcc}");
    }

    private sealed record Scored(PredictionsCsv Cli, IReadOnlyDictionary<string, float[]> MlNet);

    /// <summary>One spot's features as plain ML.NET objects (the vector column is renamed after the ONNX input).</summary>
    private sealed class FeatureRow
    {
        public string Barcode { get; set; } = "";

        public float[] Features { get; set; } = [];
    }

    /// <summary>One spot as ML.NET's <c>CreateEnumerable</c> and prediction engines read it.</summary>
    private sealed class ScoredSpot
    {
        public string Barcode { get; set; } = "";

        public float[] Score { get; set; } = [];
    }

    /// <summary>
    /// CLI: train on C2, export to ONNX, predict C3 with --features-output. ML.NET: load the features with TextLoader,
    /// ApplyOnnxModel, read the predictions with CreateEnumerable; save and reload the fitted pipeline with
    /// ml.Model.Save/Load and check that it gives the same values.
    /// </summary>
    /// <param name="trainer">--trainer of the CLI.</param>
    /// <param name="onnxInput">The exported model's input (ApplyOnnxModel binds columns by name).</param>
    /// <param name="onnxOutputs">Outputs to bind; the first is the prediction.</param>
    /// <param name="trainOptions">Further train options.</param>
    /// <param name="samplingOptions">Options given to both export and predict (diffusion sampling).</param>
    /// <param name="sampled">
    /// True for the stem sampler. Its noise is computed in the graph from a seed (an optional input with a default) and each
    /// spot's own features, so every ML.NET view and engine still gives the same values; but the CLI's model.zip samples
    /// with the model's own options (steps), another graph than the export's, so it is compared only for ridge and MLP.
    /// </param>
    private Scored Run(string trainer, string onnxInput, string[] onnxOutputs, string[] trainOptions, string[] samplingOptions, bool sampled)
    {
        string folder = Directory.CreateTempSubdirectory("mlnetstem-stock-").FullName;
        var engines = new List<IDisposable>();
        try
        {
            var clock = Stopwatch.StartNew();
            string model = Path.Combine(folder, "model.zip"), onnx = Path.Combine(folder, "model.onnx");
            string predictions = Path.Combine(folder, "predictions.csv"), features = Path.Combine(folder, "features.csv");
            MlNetStemCli.Run(["train", "--input", MlNetStemCli.Her2st("C2"), "--model", model, "--trainer", trainer, .. trainOptions]);
            MlNetStemCli.Run(["export", "--model", model, "--onnx", onnx, .. samplingOptions]);
            MlNetStemCli.Run(["predict", "--input", MlNetStemCli.Her2st("C3"), "--model", model, "--output", predictions,
                "--features-output", features, .. samplingOptions]);
            var cliSeconds = clock.Elapsed.TotalSeconds;
            var cli = PredictionsCsv.Read(predictions);

            // What the exported file promises, read with stock ONNX Runtime.
            int onnxWidth;
            using (var session = new InferenceSession(onnx))
            {
                Assert.Equal(onnxInput, Assert.Single(session.InputMetadata.Keys));
                // The sampler's seed is an overridable initializer: listed apart, so ApplyOnnxModel binds the features only.
                Assert.Equal(sampled ? ["seed"] : Array.Empty<string>(), session.OverridableInitializerMetadata.Keys);
                onnxWidth = session.InputMetadata[onnxInput].Dimensions[^1];
                foreach (var o in onnxOutputs) Assert.Contains(o, session.OutputMetadata.Keys);
                if (session.ModelMetadata.CustomMetadataMap.TryGetValue("genes", out var genes))
                    Assert.Equal(cli.Genes, genes.Split('\n'));
            }

            // The features CSV: Barcode, f0..f{D-1}.
            var header = PredictionsCsv.Split(File.ReadLines(features).First());
            Assert.Equal("Barcode", header[0]);
            int d = header.Count - 1;
            Assert.Equal(onnxWidth, d);
            Assert.Equal(Enumerable.Range(0, d).Select(j => "f" + j.ToString(CultureInfo.InvariantCulture)), header.Skip(1));

            var ml = new MLContext(seed: 1);
            // The vector column is named after the ONNX input, which ApplyOnnxModel binds by name.
            var data = ml.Data.LoadFromTextFile(features,
                [new TextLoader.Column("Barcode", DataKind.String, 0), new TextLoader.Column(onnxInput, DataKind.Single, 1, d)],
                separatorChar: ',', hasHeader: true, allowQuoting: true);
            var pipeline = ml.Transforms.ApplyOnnxModel(onnxOutputs, [onnxInput], onnx)
                .Append(ml.Transforms.CopyColumns("Score", onnxOutputs[0]));
            var fitted = pipeline.Fit(data);

            // The whole ML.NET pipeline (the ONNX bytes included) through ml.Model.Save / ml.Model.Load, compared spot by
            // spot through prediction engines before anything else runs either model (both ONNX sessions fresh).
            string saved = Path.Combine(folder, "mlnet-model.zip");
            ml.Model.Save(fitted, data.Schema, saved);
            var loaded = new MLContext(seed: 1).Model.Load(saved, out var inputSchema);
            Assert.NotNull(inputSchema.GetColumnOrNull(onnxInput));
            var rowSchema = SchemaDefinition.Create(typeof(FeatureRow));
            var vector = rowSchema[nameof(FeatureRow.Features)];
            vector.ColumnName = onnxInput;
            vector.ColumnType = new VectorDataViewType(NumberDataViewType.Single, d);
            var rows = ml.Data.CreateEnumerable<FeatureRow>(data, reuseRowObject: false, schemaDefinition: rowSchema).ToList();
            var fromFitted = Predict(ml, fitted, rowSchema, rows, engines);
            var fromLoaded = Predict(ml, loaded, rowSchema, rows, engines);
            foreach (var (barcode, values) in fromFitted) Assert.Equal(values, fromLoaded[barcode]);

            var scored = Read(ml, fitted.Transform(data));
            Assert.Equal(cli.ByBarcode.Keys.Order(StringComparer.Ordinal), scored.Keys.Order(StringComparer.Ordinal));
            Assert.All(scored.Values, v => Assert.Equal(cli.Genes.Count, v.Length));
            // Views of the fitted and of the reloaded pipeline and the row-by-row engines: the same values, spot by spot.
            var reloaded = Read(ml, loaded.Transform(data));
            foreach (var (barcode, values) in scored)
            {
                Assert.Equal(values, reloaded[barcode]);
                Assert.Equal(values, fromFitted[barcode]);
            }
            if (!sampled)
            {
                // The CLI's own model.zip is an ML.NET model of its trainer too: ml.Model.Load reads it without MlNetStem
                // and maps the column "Features" to "Score" like the exported file.
                var fromCliZip = new MLContext(seed: 1).Model.Load(model, out _);
                var byColumn = ml.Data.LoadFromTextFile(features,
                    [new TextLoader.Column("Barcode", DataKind.String, 0), new TextLoader.Column("Features", DataKind.Single, 1, d)],
                    separatorChar: ',', hasHeader: true, allowQuoting: true);
                var direct = Read(ml, fromCliZip.Transform(byColumn));
                foreach (var (barcode, values) in scored)
                    Assert.True(values.Zip(direct[barcode]).All(p => Math.Abs(p.First - p.Second) <= 1e-5f),
                        $"spot {barcode}: the CLI model.zip loaded by ML.NET differs from the exported ONNX");
            }

            output.WriteLine($"{trainer}: CLI train/export/predict {cliSeconds:0.0} s, ML.NET {clock.Elapsed.TotalSeconds - cliSeconds:0.0} s; " +
                $"{rows.Count} spots, {d} features, {cli.Genes.Count} genes");
            // The CLI writes predictions clipped at 0 (log2(x+1) of counts is never negative); the exported model gives them
            // unclipped, so a consumer clips them itself, as here.
            return new Scored(cli, scored.ToDictionary(p => p.Key, p => p.Value.Select(v => Math.Max(v, 0f)).ToArray(), StringComparer.Ordinal));
        }
        finally
        {
            foreach (var engine in engines) engine.Dispose();
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Scores <paramref name="rows"/> one by one, in order, with a prediction engine over <paramref name="model"/>.</summary>
    /// <remarks>
    /// The engine is added to <paramref name="engines"/> for the caller to dispose at the end: disposing a prediction engine
    /// also releases the ONNX session of the model it was made from, and later views over that model then fail.
    /// </remarks>
    private static Dictionary<string, float[]> Predict(MLContext ml, ITransformer model, SchemaDefinition rowSchema, IEnumerable<FeatureRow> rows,
        List<IDisposable> engines)
    {
        var engine = ml.Model.CreatePredictionEngine<FeatureRow, ScoredSpot>(model, inputSchemaDefinition: rowSchema);
        engines.Add(engine);
        return rows.ToDictionary(r => r.Barcode, r => engine.Predict(r).Score, StringComparer.Ordinal);
    }

    private static Dictionary<string, float[]> Read(MLContext ml, IDataView view) =>
        ml.Data.CreateEnumerable<ScoredSpot>(view, reuseRowObject: false).ToDictionary(s => s.Barcode, s => s.Score, StringComparer.Ordinal);

    /// <summary>Over every spot (joined on Barcode) and gene: max |ML.NET − CLI| and max |ML.NET − CLI| / max(1, |CLI|).</summary>
    private static (double Absolute, double Relative) Differences(Scored run)
    {
        double absolute = 0, relative = 0;
        foreach (var (barcode, cli) in run.Cli.ByBarcode)
        {
            var mlnet = run.MlNet[barcode];
            for (int g = 0; g < cli.Length; g++)
            {
                Assert.True(float.IsFinite(mlnet[g]), $"{barcode}: gene {g} is {mlnet[g]}");
                double diff = Math.Abs((double)cli[g] - mlnet[g]);
                absolute = Math.Max(absolute, diff);
                relative = Math.Max(relative, diff / Math.Max(1, Math.Abs(cli[g])));
            }
        }
        return (absolute, relative);
    }

    private static double Pearson(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxy / Math.Sqrt(sxx * syy);
    }
}
