using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using MlNetStem.AnnData;
using MlNetStem.Evaluation;
using MlNetStem.Onnx;
using MlNetStem.TestKit;
using MlNetStem.Trainers.Diffusion;
using MlNetStem.Transforms;
using MlNetStem.Transforms.Expression;
using MlNetStem.Data;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

/// <summary>
/// Options and features the README and <c>mlnetstem &lt;command&gt; --help</c> document, each run through the real CLI on
/// the bundled sections and checked for its effect: a value that differs from the default run, or one read back from
/// the output files. Small settings (10 genes, 32 px patches, 2 stem epochs, 3 draws) keep every test a few seconds.
/// </summary>
[Collection(Hdf5FileTests.Name)]
public class CliOptionCoverageTests
{
    private static readonly string C2 = RepositoryPaths.Her2st("C2"), C3 = RepositoryPaths.Her2st("C3");
    private static readonly string[] Small = ["--genes", "10", "--patch-px", "32"];
    private static readonly string[] FewDraws = ["--draws", "3", "--steps", "3"];

    // ------------------------------------------------------------------ panel

    [Fact]
    public void Ranking_VariableAndExpressed_GiveDifferentPanels()
    {
        using var folder = new TempFolder();
        var variable = PanelOf(folder, "variable", ["--ranking", "variable"]);
        var expressed = PanelOf(folder, "expressed", ["--ranking", "expressed"]);
        Assert.Equal(10, variable.Length);
        Assert.Equal(10, expressed.Length);
        Assert.NotEqual(variable.Order(StringComparer.Ordinal), expressed.Order(StringComparer.Ordinal));
        // The most expressed genes of C2 include the immunoglobulins; the most variable ones are not the same set.
        Assert.True(variable.Except(expressed).Count() >= 3, $"variable [{string.Join(",", variable)}] vs expressed [{string.Join(",", expressed)}]");
        var unknown = CliTests.Run(["train", "--input", C2, "--model", folder.File("x.zip"), "--ranking", "random", .. Small]);
        Assert.Equal(2, unknown.Code);
        Assert.Contains("unknown ranking 'random'", unknown.Err);
    }

    [Fact]
    public void DefaultRanking_IsExpressedThenVariable()
    {
        using var folder = new TempFolder();
        var byDefault = PanelOf(folder, "default", []);
        var explicitRanking = PanelOf(folder, "etv", ["--ranking", "expressed-then-variable"]);
        var expressed10 = PanelOf(folder, "expressed10", ["--ranking", "expressed"]);
        var expressed20 = PanelOf(folder, "expressed20", ["--ranking", "expressed", "--genes", "20"]);
        // Same genes in the same order as the explicit ranking ...
        Assert.Equal(explicitRanking, byDefault);
        // ... which are the 10 most variable of the 2 × 10 most expressed: a subset of those, and not the 10 most expressed.
        Assert.Subset(expressed20.ToHashSet(), byDefault.ToHashSet());
        Assert.NotEqual(expressed10.Order(StringComparer.Ordinal), byDefault.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Ranking_Stem_TrainsOnStemsRecipePanel()
    {
        using var folder = new TempFolder();
        var stem = PanelOf(folder, "stem", ["--ranking", "stem"]);
        // The CLI panel is the API's StemHighlyVariable panel of C2, in the same order.
        var c2 = new MLContext(1).Data.LoadHer2st(C2).Data;
        var api = new MLContext(1).Transforms.SelectGenes("P", "Counts", top: 10, ranking: GeneRanking.StemHighlyVariable).Fit(c2).Genes;
        Assert.Equal(api, stem);
        Assert.DoesNotContain(stem, g => g.StartsWith("MT-", StringComparison.OrdinalIgnoreCase) || g.StartsWith("RPS", StringComparison.OrdinalIgnoreCase) || g.StartsWith("RPL", StringComparison.OrdinalIgnoreCase));
        // C2's most expressed genes are largely not highly variable by scanpy's seurat dispersion.
        var expressed = PanelOf(folder, "expressed", ["--ranking", "expressed"]);
        Assert.True(stem.Except(expressed).Count() >= 3, $"stem [{string.Join(",", stem)}] vs expressed [{string.Join(",", expressed)}]");
        var help = CliTests.Run("train", "--help");
        Assert.Contains("expressed | stem", help.Out + help.Err);
    }

    [Fact]
    public void MissingGenes_Zero_CountsAnAbsentPanelGeneAsZero_Error_RefusesTheSection()
    {
        using var folder = new TempFolder();
        string zero = Train(folder, "zero.zip", [.. Small]);
        string error = Train(folder, "error.zip", [.. Small, "--missing-genes", "error"]);
        string[] panel = PanelOf(folder, zero);
        string gene = panel[3];
        string c3Lacking = CopyC3WithoutGene(folder.File("C3-lacking"), gene);

        // zero (the default): the section is scored, the note names the gene, its measured expression is all zero so its
        // correlation is undefined; the other genes are scored as on the full section.
        var scored = CliTests.Run("evaluate", "--input", c3Lacking, "--model", zero, "--output", folder.File("zero.json"));
        Assert.True(scored.Code == 0, scored.Err);
        Assert.Contains($"1 of 10 panel genes are absent from the input counts and count as zero ({gene})", scored.Err);
        var lacking = ReadMetrics(folder.File("zero.json"));
        Assert.Null(lacking.GeneCorrelations[gene]);
        Assert.Equal(1, lacking.UndefinedCorrelationGenes);
        var full = CliTests.Run("evaluate", "--input", C3, "--model", zero, "--output", folder.File("full.json"));
        Assert.True(full.Code == 0, full.Err);
        Assert.DoesNotContain("panel genes are absent", full.Err);
        var complete = ReadMetrics(folder.File("full.json"));
        Assert.NotNull(complete.GeneCorrelations[gene]);
        foreach (string other in panel.Where(g => g != gene))
            Assert.Equal(complete.GeneCorrelations[other]!.Value, lacking.GeneCorrelations[other]!.Value, 9);

        // error: the same section is refused with a one-line reason naming the gene; the full section is fine.
        var refused = CliTests.Run("evaluate", "--input", c3Lacking, "--model", error);
        Assert.Equal(1, refused.Code);
        Assert.Contains($"counts lacking 1 of them ({gene})", refused.Err);
        Assert.Single(refused.Err.Trim().Split('\n'), l => l.Contains("error:"));
        Assert.Equal(0, CliTests.Run("evaluate", "--input", C3, "--model", error).Code);

        var unknown = CliTests.Run(["train", "--input", C2, "--model", folder.File("x.zip"), "--missing-genes", "skip", .. Small]);
        Assert.Equal(2, unknown.Code);
        Assert.Contains("zero | error", unknown.Err);
    }

    // ------------------------------------------------------------------ patches and pixel size

    [Fact]
    public void PatchUm_ChangesTheFeatures()
    {
        using var folder = new TempFolder();
        var standard = FeaturesOf(folder, "112", Train(folder, "112.zip", [.. Small]));
        var half = FeaturesOf(folder, "56", Train(folder, "56.zip", [.. Small, "--patch-um", "56"]));
        Assert.Equal(standard.Header, half.Header);
        Assert.Equal(standard.Barcodes, half.Barcodes);
        Assert.True(MaxAbsDifference(standard.Rows, half.Rows) > 1e-3, "--patch-um 56 gave the features of 112 µm patches");
    }

    [Fact]
    public void PatchPx_ChangesTheFeatures()
    {
        using var folder = new TempFolder();
        var small = FeaturesOf(folder, "32", Train(folder, "32.zip", ["--genes", "10", "--patch-px", "32"]));
        var large = FeaturesOf(folder, "64", Train(folder, "64.zip", ["--genes", "10", "--patch-px", "64"]));
        Assert.Equal(small.Header, large.Header);
        Assert.True(MaxAbsDifference(small.Rows, large.Rows) > 1e-3, "--patch-px 64 gave the features of 32 px patches");
        var tooSmall = CliTests.Run("train", "--input", C2, "--model", folder.File("x.zip"), "--patch-px", "8");
        Assert.Equal(2, tooSmall.Code);
        Assert.Contains("--patch-px must be at least 16", tooSmall.Err);
    }

    [Fact]
    public void Mpp_ReplacesTheEstimatedPixelSize_AndScalesThePatchWithPatchUm()
    {
        using var folder = new TempFolder();
        string model112 = Train(folder, "112.zip", [.. Small]);
        string model56 = Train(folder, "56.zip", [.. Small, "--patch-um", "56"]);

        var estimated = Predict(model112, folder.File("estimated.csv"), ["--features-output", folder.File("f-estimated.csv")]);
        Assert.Contains("µm per pixel 0.686 estimated from the spot grid", estimated.Err);
        var given = Predict(model112, folder.File("given.csv"), ["--mpp", "1", "--features-output", folder.File("f-given.csv")]);
        Assert.DoesNotContain("estimated from the spot grid", given.Err);
        Assert.Matches(@"loaded C3 \(Her2st\): \d+ spots, \d+ genes, 1 µm/px", given.Err);
        Assert.True(MaxAbsDifference(ReadCsv(folder.File("estimated.csv")).Rows, ReadCsv(folder.File("given.csv")).Rows) > 1e-3,
            "--mpp 1 gave the predictions of the estimated 0.686 µm/px");

        // A patch is --patch-um / --mpp pixels wide: 112 µm at 1 µm/px and 56 µm at 0.5 µm/px cut the same 112 px, so the
        // features are identical, value for value.
        Predict(model56, folder.File("half.csv"), ["--mpp", "0.5", "--features-output", folder.File("f-half.csv")]);
        Assert.Equal(File.ReadAllText(folder.File("f-given.csv")), File.ReadAllText(folder.File("f-half.csv")));
        Assert.NotEqual(File.ReadAllText(folder.File("f-given.csv")), File.ReadAllText(folder.File("f-estimated.csv")));
    }

    // ------------------------------------------------------------------ ridge options

    [Fact]
    public void Alpha_IsReported_AndALargerPenaltyShrinksThePredictions()
    {
        using var folder = new TempFolder();
        var gcv = CliTests.Run(["train", "--input", C2, "--model", folder.File("gcv.zip"), .. Small]);
        Assert.True(gcv.Code == 0, gcv.Err);
        Assert.Matches(@"ridge: \d+ features → 10 genes, alpha [0-9.]+", gcv.Out);
        var weak = CliTests.Run(["train", "--input", C2, "--model", folder.File("weak.zip"), "--alpha", "5", .. Small]);
        Assert.True(weak.Code == 0, weak.Err);
        Assert.Contains("alpha 5)", weak.Out);
        var strong = CliTests.Run(["train", "--input", C2, "--model", folder.File("strong.zip"), "--alpha", "1000000", .. Small]);
        Assert.True(strong.Code == 0, strong.Err);
        Assert.Contains("alpha 1E+06)", strong.Out);

        Predict(folder.File("weak.zip"), folder.File("weak.csv"));
        Predict(folder.File("strong.zip"), folder.File("strong.csv"));
        var weakRows = ReadCsv(folder.File("weak.csv")).Rows;
        var strongRows = ReadCsv(folder.File("strong.csv")).Rows;
        Assert.True(MaxAbsDifference(weakRows, strongRows) > 1e-3);
        // The penalty shrinks the weights: the spread of each gene's prediction over the section collapses.
        double weakSpread = MeanGeneStd(weakRows), strongSpread = MeanGeneStd(strongRows);
        Assert.True(strongSpread < 0.1 * weakSpread, $"spread with alpha 1e6 {strongSpread}, with alpha 5 {weakSpread}");

        var negative = CliTests.Run("train", "--input", C2, "--model", folder.File("x.zip"), "--alpha", "-1");
        Assert.Equal(2, negative.Code);
        Assert.Contains("--alpha must be ≥ 0", negative.Err);
    }

    [Fact]
    public void Pca_OneComponent_MakesEveryGenesPredictionAFunctionOfOneScore()
    {
        using var folder = new TempFolder();
        Predict(Train(folder, "plain.zip", [.. Small]), folder.File("plain.csv"));
        Predict(Train(folder, "pca1.zip", [.. Small, "--pca", "1"]), folder.File("pca1.csv"));
        Predict(Train(folder, "pca5.zip", [.. Small, "--pca", "5"]), folder.File("pca5.csv"));
        var plain = ReadCsv(folder.File("plain.csv")).Rows;
        var pca1 = ReadCsv(folder.File("pca1.csv")).Rows;
        var pca5 = ReadCsv(folder.File("pca5.csv")).Rows;
        // Ridge on one principal component predicts every gene as an affine function of the same score, so any two
        // genes' predictions over the section are perfectly (anti)correlated; without PCA they are not.
        Assert.True(MinAbsGenePairCorrelation(pca1) > 0.9999, $"--pca 1: min |PCC| between genes {MinAbsGenePairCorrelation(pca1)}");
        Assert.True(MinAbsGenePairCorrelation(plain) < 0.9, $"no PCA: min |PCC| between genes {MinAbsGenePairCorrelation(plain)}");
        Assert.True(MaxAbsDifference(plain, pca5) > 1e-3, "--pca 5 gave the predictions without PCA");
    }

    // ------------------------------------------------------------------ MLP and seeds

    [Fact]
    public void MlpTrainer_TrainsAndEvaluatesThroughTheCli()
    {
        using var folder = new TempFolder();
        var train = CliTests.Run(["train", "--input", C2, "--model", folder.File("mlp.zip"), "--trainer", "mlp", "--epochs", "7", .. Small]);
        Assert.True(train.Code == 0, train.Err);
        Assert.Matches(@"MLP: \d+ features → 10 genes, \d+ parameters, 7 epochs", train.Out);
        var evaluate = CliTests.Run("evaluate", "--input", C3, "--model", folder.File("mlp.zip"), "--output", folder.File("m.json"));
        Assert.True(evaluate.Code == 0, evaluate.Err);
        Assert.Contains("mean PCC", evaluate.Out);
        var metrics = ReadMetrics(folder.File("m.json"));
        Assert.Equal(10, metrics.GeneCount);
        Assert.Equal(179, metrics.SpotCount);
        Assert.True(double.IsFinite(metrics.MeanPcc) && double.IsFinite(metrics.Mse));
        Assert.Null(metrics.Coverage80);   // a regressor has no intervals
        var export = CliTests.Run("export", "--model", folder.File("mlp.zip"), "--onnx", folder.File("mlp.onnx"));
        Assert.True(export.Code == 0, export.Err);
        Assert.Matches(@"input features \[N,\d+\]; output \w+ \[N,10\]", export.Out);
    }

    [Fact]
    public void Seed_SameSeedGivesTheSameMlp_AnotherSeedAnotherOne()
    {
        using var folder = new TempFolder();
        string[] mlp = ["--trainer", "mlp", "--epochs", "5", .. Small];
        Predict(Train(folder, "a.zip", [.. mlp, "--seed", "7"]), folder.File("a.csv"));
        Predict(Train(folder, "b.zip", [.. mlp, "--seed", "7"]), folder.File("b.csv"));
        Predict(Train(folder, "c.zip", [.. mlp, "--seed", "8"]), folder.File("c.csv"));
        Assert.Equal(File.ReadAllText(folder.File("a.csv")), File.ReadAllText(folder.File("b.csv")));
        Assert.True(MaxAbsDifference(ReadCsv(folder.File("a.csv")).Rows, ReadCsv(folder.File("c.csv")).Rows) > 1e-4,
            "--seed 8 gave the MLP of --seed 7");
    }

    // ------------------------------------------------------------------ diffusion

    [Fact]
    public void SampleSeed_SameSeedSameDraws_OtherSeedOtherDraws()
    {
        using var folder = new TempFolder();
        string model = Train(folder, "stem.zip", ["--trainer", "stem", "--epochs", "2", .. Small]);
        Predict(model, folder.File("a.csv"), [.. FewDraws, "--sample-seed", "5"]);
        Predict(model, folder.File("b.csv"), [.. FewDraws, "--sample-seed", "5"]);
        Predict(model, folder.File("c.csv"), [.. FewDraws, "--sample-seed", "6"]);
        Assert.Equal(File.ReadAllText(folder.File("a.csv")), File.ReadAllText(folder.File("b.csv")));
        Assert.True(MaxAbsDifference(ReadCsv(folder.File("a.csv")).Rows, ReadCsv(folder.File("c.csv")).Rows) > 1e-3,
            "--sample-seed 6 gave the draws of --sample-seed 5");
    }

    [Fact]
    public void AugmentDihedral_TrainsStemOnTheEightViews()
    {
        using var folder = new TempFolder();
        string[] stem = ["--trainer", "stem", "--epochs", "2", .. Small];
        var plain = CliTests.Run(["train", "--input", C2, "--model", folder.File("plain.zip"), .. stem]);
        Assert.True(plain.Code == 0, plain.Err);
        var augmented = CliTests.Run(["train", "--input", C2, "--model", folder.File("dihedral.zip"), "--augment", "dihedral", .. stem]);
        Assert.True(augmented.Code == 0, augmented.Err);
        Assert.Contains("Stem diffusion (ResidualMlp", augmented.Out);
        Assert.Matches(@"training Stem diffusion: 2/2 \(100%\).*epoch 2/2 loss \d+\.\d{4}", augmented.Err);

        // The archive's diffusion model was trained on 8 views per spot (the plain one on 1), and it predicts differently
        // from the plain model under the same sampling noise.
        var ml = new MLContext(1);
        Assert.Equal(8, Diffusion(ml.SpatialExpression().LoadModel(folder.File("dihedral.zip"), out _)).Views);
        Assert.Equal(1, Diffusion(ml.SpatialExpression().LoadModel(folder.File("plain.zip"), out _)).Views);
        Predict(folder.File("plain.zip"), folder.File("plain.csv"), [.. FewDraws, "--sample-seed", "1"]);
        Predict(folder.File("dihedral.zip"), folder.File("dihedral.csv"), [.. FewDraws, "--sample-seed", "1"]);
        Assert.NotEqual(File.ReadAllText(folder.File("plain.csv")), File.ReadAllText(folder.File("dihedral.csv")));

        // With an ONNX encoder too: the encoder embeds all 8 views (stem trains on them); a regressor reads view 0, the
        // patch itself, so its predictions equal those of the same encoder without augmentation.
        var onnx = CliTests.Run(["train", "--input", C2, "--model", folder.File("onnx-dihedral.zip"), "--augment", "dihedral",
            "--featurizer", "onnx", "--encoder", TinyVit, .. stem]);
        Assert.True(onnx.Code == 0, onnx.Err);
        Assert.Equal(8, Diffusion(ml.SpatialExpression().LoadModel(folder.File("onnx-dihedral.zip"), out _)).Views);
        string[] ridge = ["--featurizer", "onnx", "--encoder", TinyVit, .. Small];
        Assert.Equal(0, CliTests.Run(["train", "--input", C2, "--model", folder.File("r-plain.zip"), .. ridge]).Code);
        Assert.Equal(0, CliTests.Run(["train", "--input", C2, "--model", folder.File("r-dihedral.zip"), "--augment", "dihedral", .. ridge]).Code);
        Predict(folder.File("r-plain.zip"), folder.File("r-plain.csv"), []);
        Predict(folder.File("r-dihedral.zip"), folder.File("r-dihedral.csv"), []);
        Assert.Equal(File.ReadAllText(folder.File("r-plain.csv")), File.ReadAllText(folder.File("r-dihedral.csv")));
    }

    [Fact]
    public void Context_AppendsTheNeighbourhoodMeanToARegressorsFeatures()
    {
        using var folder = new TempFolder();
        var plain = CliTests.Run(["train", "--input", C2, "--model", folder.File("plain.zip"), .. Small]);
        var context = CliTests.Run(["train", "--input", C2, "--model", folder.File("context.zip"), "--context", "9", .. Small]);
        Assert.True(context.Code == 0, context.Err);
        Assert.Contains("ridge: 54 features", plain.Out);
        Assert.Contains("ridge: 108 features", context.Out);   // own 54 + the 9-spot mean of the same 54
        Assert.Contains("NeighbourContext: the spot's embedding and the mean embedding of each spot's 9 nearest spots", CliTests.Run("inspect", "--model", folder.File("context.zip")).Out);
        Predict(folder.File("plain.zip"), folder.File("plain.csv"));
        Predict(folder.File("context.zip"), folder.File("context.csv"));
        Assert.NotEqual(File.ReadAllText(folder.File("plain.csv")), File.ReadAllText(folder.File("context.csv")));
        var diffusion = CliTests.Run(["train", "--input", C2, "--model", folder.File("s.zip"), "--trainer", "stem", "--context", "9", .. Small]);
        Assert.Equal(2, diffusion.Code);
        Assert.Contains("--context applies to the regressors", diffusion.Err);
    }

    [Fact]
    public void TrainerHisDiff_TrainsPredictsInspectsAndExportsWithItsContextInputs()
    {
        using var folder = new TempFolder();
        string model = Train(folder, "hisdiff.zip", ["--trainer", "hisdiff", "--epochs", "2", .. Small]);
        string inspect = CliTests.Run("inspect", model).Out;
        Assert.Contains("NeighbourContext: the embeddings (with a mask) of each spot's 9 nearest spots of its section; training spots", inspect);
        Assert.Contains("HisDiff diffusion (context of 9 and 49 spots", inspect);
        var export = CliTests.Run("export", "--model", model, "--onnx", folder.File("hisdiff.onnx"));
        Assert.True(export.Code == 0, export.Err);
        Assert.Contains("context_0 [N,9,54] with context_0_mask [N,9], context_1 [N,49,54]", export.Out);
        var predict = CliTests.Run(["predict", "--input", C3, "--model", model, "--output", folder.File("p.csv"), .. FewDraws]);
        Assert.True(predict.Code == 0, predict.Err);
        Assert.Contains("_std,", File.ReadLines(folder.File("p.csv")).First());
    }

    [Fact]
    public void TrainerStem_AboveFiftyGenes_TrainsInGeneBlocks_PredictsInspectsAndExports()
    {
        using var folder = new TempFolder();
        var train = CliTests.Run("train", "--input", C2, "--model", folder.File("stem.zip"), "--trainer", "stem", "--epochs", "2",
            "--genes", "60", "--patch-px", "32");
        Assert.True(train.Code == 0, train.Err);
        Assert.Contains("Stem diffusion (ResidualMlp, depth 2, hidden 64, blocks of 50 genes)", train.Out);
        Assert.Contains("blocks of 50 genes", CliTests.Run("inspect", folder.File("stem.zip")).Out);
        var export = CliTests.Run("export", "--model", folder.File("stem.zip"), "--onnx", folder.File("stem.onnx"));
        Assert.True(export.Code == 0, export.Err);
        var predict = CliTests.Run(["predict", "--input", C3, "--model", folder.File("stem.zip"), "--output", folder.File("p.csv"), .. FewDraws]);
        Assert.True(predict.Code == 0, predict.Err);
        Assert.Equal(60, File.ReadLines(folder.File("p.csv")).First().Split(',').Count(c => c.EndsWith("_std", StringComparison.Ordinal)));
    }

    [Fact]
    public void ExportDenoiserPart_WritesTheOneStepDenoiser_ThatOnnxRuntimeRuns()
    {
        using var folder = new TempFolder();
        string model = Train(folder, "stem.zip", ["--trainer", "stem", "--epochs", "2", .. Small]);
        var export = CliTests.Run("export", "--model", model, "--onnx", folder.File("denoiser.onnx"), "--part", "denoiser");
        Assert.True(export.Code == 0, export.Err);
        Assert.Contains("inputs x_t [N,10], t [N], features [N,54]; outputs eps, v, prior_mean [N,10]", export.Out);

        using var session = OnnxSession.Load(folder.File("denoiser.onnx"));
        Assert.Equal(["x_t", "t", "features"], session.Inputs.Select(i => i.Name));
        Assert.Equal(new long[] { -1, 10 }, session.Inputs[0].Dimensions);
        Assert.Equal(new long[] { -1 }, session.Inputs[1].Dimensions);
        Assert.Equal(new long[] { -1, 54 }, session.Inputs[2].Dimensions);
        Assert.All(session.Inputs, i => Assert.Equal(OnnxElementType.Float, i.ElementType));
        Assert.Equal(["eps", "v", "prior_mean"], session.Outputs.Select(o => o.Name));
        var random = new Random(3);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => (float)random.NextDouble()).ToArray();
        var outputs = session.Run(new Dictionary<string, OnnxTensor>
        {
            ["x_t"] = OnnxTensor.Create(Values(3 * 10), 3, 10),
            ["t"] = OnnxTensor.Create(new float[] { 0, 500, 999 }, 3),
            ["features"] = OnnxTensor.Create(Values(3 * 54), 3, 54),
        });
        Assert.Equal(new long[] { 3, 10 }, outputs["eps"].Shape);
        Assert.All(outputs["eps"].GetData<float>(), v => Assert.True(float.IsFinite(v)));

        // Without --part the whole sampler is exported: one embedding input.
        Assert.Equal(0, CliTests.Run("export", "--model", model, "--onnx", folder.File("sampler.onnx"), "--steps", "3", "--draws", "2").Code);
        using var sampler = OnnxSession.Load(folder.File("sampler.onnx"));
        Assert.Equal("features", Assert.Single(sampler.Inputs).Name);
    }

    [Fact]
    public void StemPrediction_H5ad_HoldsIntervalLayers_AndPreserveVarianceStretchesTheMeanWithinThem()
    {
        using var folder = new TempFolder();
        string model = Train(folder, "stem.zip", ["--trainer", "stem", "--epochs", "3", .. Small]);
        // --keep-raw: the stretch is checked on the unclipped predictions (clipping at 0 is not affine).
        string[] sampling = ["--draws", "5", "--steps", "3", "--sample-seed", "2", "--keep-raw"];
        Predict(model, folder.File("mean.h5ad"), sampling);
        var preserved = Predict(model, folder.File("pv.h5ad"), [.. sampling, "--point-estimate", "preserve-variance"]);
        Assert.Contains("point estimate: preserve-variance", preserved.Out);

        var mean = H5adReader.ReadFile(folder.File("mean.h5ad"));
        var pv = H5adReader.ReadFile(folder.File("pv.h5ad"));
        foreach (var file in new[] { mean, pv })
        {
            Assert.Equal(180, file.ObsCount);
            Assert.Equal(10, file.VarCount);
            Assert.Subset(file.Layers.Keys.ToHashSet(), new HashSet<string> { "std", "lower", "upper" });
            Assert.True(file.Obsm.ContainsKey("spatial"));
        }
        var x = mean.X!.ToDense();
        var lower = mean.Layers["lower"].ToDense();
        var upper = mean.Layers["upper"].ToDense();
        var std = mean.Layers["std"].ToDense();
        int inside = 0, total = x.Length;
        for (int r = 0; r < mean.ObsCount; r++)
            for (int g = 0; g < mean.VarCount; g++)
            {
                Assert.True(lower[r, g] <= upper[r, g], $"spot {r}, gene {g}: lower {lower[r, g]} > upper {upper[r, g]}");
                Assert.True(std[r, g] >= 0);
                if (lower[r, g] <= x[r, g] && x[r, g] <= upper[r, g]) inside++;
            }
        Assert.True(inside >= 0.9 * total, $"the mean of the draws lies in [lower, upper] for only {inside} of {total} values");

        // Same draws: the same intervals and spread; X is the mean stretched per gene around its section average.
        Assert.Equal(lower.Cast<float>(), pv.Layers["lower"].ToDense().Cast<float>());
        Assert.Equal(upper.Cast<float>(), pv.Layers["upper"].ToDense().Cast<float>());
        Assert.Equal(std.Cast<float>(), pv.Layers["std"].ToDense().Cast<float>());
        x = mean.Layers["raw"].ToDense();
        var stretched = pv.Layers["raw"].ToDense();
        bool changed = false;
        for (int g = 0; g < mean.VarCount; g++)
        {
            var m = Column(x, g);
            var p = Column(stretched, g);
            Assert.Equal(m.Average(), p.Average(), 3);
            Assert.True(Pearson(m, p) > 0.9999, $"gene {mean.Var.Index[g]}: the preserved estimate is not an affine stretch of the mean");
            Assert.True(Std(p) >= Std(m) * (1 - 1e-4), $"gene {mean.Var.Index[g]}: variance shrank");
            changed |= Std(p) > Std(m) * 1.01;
        }
        Assert.True(changed, "preserve-variance left every gene's spread unchanged");
    }

    [Fact]
    public void Evaluate_PreserveVariance_KeepsEveryGenesPcc_AndChangesTheErrors()
    {
        using var folder = new TempFolder();
        string model = Train(folder, "stem.zip", ["--trainer", "stem", "--epochs", "3", .. Small]);
        var plain = CliTests.Run(["evaluate", "--input", C3, "--model", model, "--output", folder.File("mean.json"), .. FewDraws]);
        Assert.True(plain.Code == 0, plain.Err);
        var preserved = CliTests.Run(["evaluate", "--input", C3, "--model", model, "--output", folder.File("pv.json"), .. FewDraws,
            "--point-estimate", "preserve-variance"]);
        Assert.True(preserved.Code == 0, preserved.Err);
        var mean = ReadMetrics(folder.File("mean.json"));
        var pv = ReadMetrics(folder.File("pv.json"));
        Assert.Equal(mean.GeneCorrelations.Keys, pv.GeneCorrelations.Keys);
        Assert.Equal(10, pv.GeneCorrelations.Count);
        foreach (var (gene, pcc) in mean.GeneCorrelations)
        {
            Assert.NotNull(pcc);
            Assert.Equal(pcc!.Value, pv.GeneCorrelations[gene]!.Value, 5);
        }
        Assert.Equal(mean.MeanPcc, pv.MeanPcc, 5);
        // The JSON holds the preserved estimate: its variance, hence its errors, differ from the mean's.
        Assert.True(Math.Abs(mean.Rvd - pv.Rvd) > 1e-3, $"RVD {mean.Rvd} vs {pv.Rvd}");
        Assert.True(Math.Abs(mean.Mse - pv.Mse) > 1e-3, $"MSE {mean.Mse} vs {pv.Mse}");
    }

    // ------------------------------------------------------------------ ONNX featurizer

    [Fact]
    public void OnnxFeaturizer_TrainsAndPredicts_WithTheEncoderInsideTheArchive()
    {
        using var folder = new TempFolder();
        // A copy of the encoder, deleted after training: predict must not need the file (the archive holds the model bytes).
        string encoder = folder.File("encoder.onnx");
        File.Copy(TinyVit, encoder);
        var train = CliTests.Run(["train", "--input", C2, "--model", folder.File("onnx.zip"), "--featurizer", "onnx", "--encoder", encoder, .. Small]);
        Assert.True(train.Code == 0, train.Err);
        Assert.Contains("ridge: 64 features → 10 genes", train.Out);   // the tiny ViT's 64-d CLS token, not the 54 morphology features
        File.Delete(encoder);
        Predict(folder.File("onnx.zip"), folder.File("onnx.csv"), ["--features-output", folder.File("f.csv")]);
        var (header, _, rows) = ReadCsv(folder.File("onnx.csv"));
        Assert.Equal(10 + 3, header.Length);
        Assert.Equal(180, rows.Length);
        Assert.All(rows.SelectMany(r => r), v => Assert.True(double.IsFinite(v)));
        Assert.Equal(1 + 64, File.ReadLines(folder.File("f.csv")).First().Split(',').Length);

        Predict(Train(folder, "morphology.zip", [.. Small]), folder.File("morphology.csv"));
        Assert.True(MaxAbsDifference(rows, ReadCsv(folder.File("morphology.csv")).Rows) > 1e-3);

        // The README's demo form: --encoder, as in train (--model means a model archive in every command that takes it).
        var demo = CliTests.Run(["demo", "--featurizer", "onnx", "--encoder", TinyVit, "--output", folder.File("demo"), .. Small]);
        Assert.True(demo.Code == 0, demo.Err);
        Assert.Contains("features: ONNX encoder tiny-vit-s16.onnx (CLS token)", demo.Out);
        Assert.Contains("ridge: 64 features → 10 genes", demo.Err);

        var noEncoder = CliTests.Run(["train", "--input", C2, "--model", folder.File("x.zip"), "--featurizer", "onnx", .. Small]);
        Assert.Equal(2, noEncoder.Code);
        Assert.Contains("--featurizer onnx needs an ONNX image encoder", noEncoder.Err);
    }

    [Fact]
    public void EmbeddingCache_IsFilledOnce_ThenReadBack_GivingTheSameModel()
    {
        Assert.True(File.Exists(TinyVit), $"{TinyVit} is missing: scripts/setup.sh generates it");
        using var folder = new TempFolder();
        string cache = folder.File("cache");
        string[] onnx = ["--featurizer", "onnx", "--encoder", TinyVit, "--embedding-cache", cache, .. Small];
        var first = CliTests.Run(["train", "--input", C2, "--model", folder.File("first.zip"), .. onnx]);
        Assert.True(first.Code == 0, first.Err);
        var entries = CacheEntries(cache);
        int spots = int.Parse(Regex.Match(first.Err, @"reading training features: (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.Equal(spots, entries.Count);   // one embedding per training patch
        var written = entries.ToDictionary(e => e, e => (Bytes: File.ReadAllBytes(e), Time: File.GetLastWriteTimeUtc(e)));

        // The same command again: every embedding comes from the cache (no entry added or rewritten), the same model.
        var second = CliTests.Run(["train", "--input", C2, "--model", folder.File("second.zip"), .. onnx]);
        Assert.True(second.Code == 0, second.Err);
        Assert.Equal(entries, CacheEntries(cache));
        Assert.All(entries, e => Assert.Equal(written[e].Time, File.GetLastWriteTimeUtc(e)));
        Assert.All(entries, e => Assert.Equal(written[e].Bytes, File.ReadAllBytes(e)));
        var uncached = CliTests.Run(["train", "--input", C2, "--model", folder.File("uncached.zip"), "--featurizer", "onnx", "--encoder", TinyVit, .. Small]);
        Assert.True(uncached.Code == 0, uncached.Err);
        foreach (string name in (string[])["first", "second", "uncached"]) Predict(folder.File(name + ".zip"), folder.File(name + ".csv"));
        Assert.Equal(File.ReadAllText(folder.File("first.csv")), File.ReadAllText(folder.File("second.csv")));
        Assert.Equal(File.ReadAllText(folder.File("first.csv")), File.ReadAllText(folder.File("uncached.csv")));

        // The cache is read, not just written: a damaged entry is detected and recomputed, the others are left alone.
        string damaged = entries[0];
        File.WriteAllBytes(damaged, written[damaged].Bytes[..^5]);
        var third = CliTests.Run(["train", "--input", C2, "--model", folder.File("third.zip"), .. onnx]);
        Assert.True(third.Code == 0, third.Err);
        Assert.Equal(entries, CacheEntries(cache));
        Assert.Equal(written[damaged].Bytes.Length, new FileInfo(damaged).Length);
        Assert.All(entries.Where(e => e != damaged), e => Assert.Equal(written[e].Time, File.GetLastWriteTimeUtc(e)));
        Predict(folder.File("third.zip"), folder.File("third.csv"));
        // One embedding recomputed alone (batch of 1) may differ from the batched one in the last float bits.
        Assert.True(MaxAbsDifference(ReadCsv(folder.File("first.csv")).Rows, ReadCsv(folder.File("third.csv")).Rows) < 1e-3);

        var morphology = CliTests.Run(["train", "--input", C2, "--model", folder.File("x.zip"), "--embedding-cache", cache, .. Small]);
        Assert.Equal(2, morphology.Code);
        Assert.Contains("--embedding-cache needs --featurizer onnx", morphology.Err);
    }

    // ------------------------------------------------------------------ demo, formats, progress

    [Fact]
    public void Demo_TrainAndTest_SwapTheSections()
    {
        using var folder = new TempFolder();
        var byDefault = CliTests.Run(["demo", "--output", folder.File("default"), .. Small]);
        Assert.True(byDefault.Code == 0, byDefault.Err);
        Assert.Contains("Held-out section C3 (trained on C2)", byDefault.Out);
        var swapped = CliTests.Run(["demo", "--train", C3, "--test", C2, "--output", folder.File("swapped"), .. Small]);
        Assert.True(swapped.Code == 0, swapped.Err);
        Assert.Contains("Held-out section C2 (trained on C3)", swapped.Out);

        // The files hold the held-out section's spots: C2's barcodes, not C3's.
        var c2Barcodes = Barcodes(Path.Combine(folder.File("swapped"), "predictions.csv"));
        var c3Barcodes = Barcodes(Path.Combine(folder.File("default"), "predictions.csv"));
        Assert.Equal(179, c3Barcodes.Length);
        Assert.NotEqual(c3Barcodes.Length, c2Barcodes.Length);
        Assert.Equal(c2Barcodes.Length, ReadMetrics(Path.Combine(folder.File("swapped"), "metrics.json")).SpotCount);
        Assert.Equal(179, ReadMetrics(Path.Combine(folder.File("default"), "metrics.json")).SpotCount);

        var both = CliTests.Run("demo", "--train", C2, "--test", C2, "--output", folder.File("both"));
        Assert.Equal(2, both.Code);
        Assert.Contains("section C2 is given both to --train and --test", both.Err);
    }

    [Fact]
    public void WebPImage_IsReadLikeTheJpegItWasMadeFrom()
    {
        using var folder = new TempFolder();
        string model = Train(folder, "r.zip", [.. Small]);
        // A lossless WebP of C3's H&E: the same pixels as the JPEG decodes to.
        string webp = folder.File("he.webp");
        FormatTests.RunTool("vips", "copy", Path.Combine(C3, "he.jpg"), webp + "[lossless,effort=0]");
        Assert.Equal("RIFF", Encoding.ASCII.GetString(File.ReadAllBytes(webp).AsSpan(0, 4)));
        // HER2ST folders look for he.jpg/.jpeg/.png/.tif/.tiff/.ppm only, so the WebP goes in as the image of a lone .h5ad
        // (predict --image): C3's spots as an .h5ad with obsm['spatial'] in full-resolution pixels.
        Predict(model, folder.File("c3.h5ad"));
        var fromWebp = Predict(model, folder.File("webp.csv"), ["--mpp", "0.7"], input: folder.File("c3.h5ad"), image: webp);
        Assert.Contains("loaded c3.h5ad (AnnData): 180 spots", fromWebp.Err);
        Predict(model, folder.File("jpeg.csv"), ["--mpp", "0.7"], input: folder.File("c3.h5ad"), image: Path.Combine(C3, "he.jpg"));
        Predict(model, folder.File("her2st.csv"), ["--mpp", "0.7"]);
        string expected = File.ReadAllText(folder.File("jpeg.csv"));
        Assert.Equal(expected, File.ReadAllText(folder.File("webp.csv")));
        Assert.Equal(expected, File.ReadAllText(folder.File("her2st.csv")));
    }

    [Fact]
    public void Progress_GoesToStderr_WithRateEtaAndDoneIn()
    {
        using var folder = new TempFolder();
        var train = CliTests.Run(["train", "--input", C2, "--model", folder.File("r.zip"), .. Small]);
        Assert.True(train.Code == 0, train.Err);
        Assert.Matches(@"reading training features: \d+, \d+(\.\d)?/s, done in \d+\.\d s", train.Err);
        var predict = CliTests.Run("predict", "--input", C3, "--model", folder.File("r.zip"), "--output", folder.File("p.csv"));
        Assert.True(predict.Code == 0, predict.Err);
        Assert.Matches(@"predicting spots: \d+/180 \(\d+%\), \d+(\.\d)?/s, ETA \d\d:\d\d", predict.Err);
        Assert.Matches(@"predicting spots: \d+/180 \(\d+%\), \d+(\.\d)?/s, done in \d+\.\d s", predict.Err);
        // Progress stays off stdout, which holds the results only.
        Assert.DoesNotContain("predicting spots", predict.Out);
        Assert.DoesNotContain("done in", train.Out);
    }

    // ------------------------------------------------------------------ helpers

    private static string TinyVit => Path.Combine(RepositoryPaths.Root, "models", "tiny-vit-s16.onnx");

    private static string Train(TempFolder folder, string name, string[] options)
    {
        var (code, _, err) = CliTests.Run(["train", "--input", C2, "--model", folder.File(name), .. options]);
        Assert.True(code == 0, $"train {string.Join(' ', options)}: {err}");
        return folder.File(name);
    }

    private static (int Code, string Out, string Err) Predict(string model, string output, string[]? options = null, string? input = null, string? image = null)
    {
        string[] args = ["predict", "--input", input ?? C3, "--model", model, "--output", output, .. (image is null ? Array.Empty<string>() : new[] { "--image", image }), .. options ?? []];
        var result = CliTests.Run(args);
        Assert.True(result.Code == 0, $"{string.Join(' ', args)}: {result.Err}");
        return result;
    }

    /// <summary>The panel of a model trained on C2 with <paramref name="options"/>: the gene columns of its predictions for C3.</summary>
    private static string[] PanelOf(TempFolder folder, string name, string[] options)
    {
        string model = Train(folder, name + ".zip", [.. Small, .. options]);
        return PanelOf(folder, model);
    }

    private static string[] PanelOf(TempFolder folder, string model)
    {
        string csv = folder.File(Path.GetFileNameWithoutExtension(model) + "-panel.csv");
        Predict(model, csv);
        var header = File.ReadLines(csv).First().Split(',');
        Assert.Equal(["Barcode", "PixelX", "PixelY"], header[..3]);
        return header[3..];
    }

    private static (string[] Header, string[] Barcodes, double[][] Rows) FeaturesOf(TempFolder folder, string name, string model)
    {
        Predict(model, folder.File(name + "-p.csv"), ["--features-output", folder.File(name + "-f.csv")]);
        return ReadCsv(folder.File(name + "-f.csv"));
    }

    private static (string[] Header, string[] Barcodes, double[][] Rows) ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToArray();
        var header = lines[0].Split(',');
        var cells = lines.Skip(1).Select(l => l.Split(',')).ToArray();
        int first = header[0] == "Barcode" && header.Length > 2 && header[1] == "PixelX" ? 3 : 1;
        return (header, cells.Select(c => c[0]).ToArray(),
            cells.Select(c => c.Skip(first).Select(v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray()).ToArray());
    }

    private static string[] Barcodes(string csv) => ReadCsv(csv).Barcodes;

    private static ExpressionMetrics ReadMetrics(string path) => ExpressionMetrics.FromJson(File.ReadAllText(path));

    private static StemDiffusionTransformer Diffusion(ITransformer model) =>
        ((IEnumerable<ITransformer>)model).OfType<StemDiffusionTransformer>().Single();

    private static List<string> CacheEntries(string cache) =>
        Directory.GetFiles(cache, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".tmp", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();

    /// <summary>A copy of C3 (spots, image) whose counts lack the column of <paramref name="gene"/>.</summary>
    private static string CopyC3WithoutGene(string target, string gene)
    {
        Directory.CreateDirectory(target);
        File.Copy(Path.Combine(C3, "spots.tsv"), Path.Combine(target, "spots.tsv"));
        File.Copy(Path.Combine(C3, "he.jpg"), Path.Combine(target, "he.jpg"));
        using var reader = new StreamReader(new GZipStream(File.OpenRead(Path.Combine(C3, "counts.tsv.gz")), CompressionMode.Decompress));
        using var writer = new StreamWriter(new GZipStream(File.Create(Path.Combine(target, "counts.tsv.gz")), CompressionLevel.Fastest));
        int drop = -1;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            var fields = line.Split('\t');
            if (drop < 0)
            {
                drop = Array.IndexOf(fields, gene);
                Assert.True(drop > 0, $"C3 has no column {gene}");
            }
            writer.Write(string.Join('\t', fields.Where((_, i) => i != drop)));
            writer.Write('\n');
        }
        return target;
    }

    private static double MaxAbsDifference(double[][] a, double[][] b)
    {
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b).Max(p => p.First.Zip(p.Second).Max(v => Math.Abs(v.First - v.Second)));
    }

    private static double[] Column(double[][] rows, int g) => rows.Select(r => r[g]).ToArray();

    private static double[] Column(float[,] values, int g) => Enumerable.Range(0, values.GetLength(0)).Select(r => (double)values[r, g]).ToArray();

    private static double Std(double[] v)
    {
        double mean = v.Average();
        return Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / v.Length);
    }

    private static double MeanGeneStd(double[][] rows) => Enumerable.Range(0, rows[0].Length).Average(g => Std(Column(rows, g)));

    private static double Pearson(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average(), ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            ab += (a[i] - ma) * (b[i] - mb);
            aa += (a[i] - ma) * (a[i] - ma);
            bb += (b[i] - mb) * (b[i] - mb);
        }
        return ab / Math.Sqrt(aa * bb);
    }

    private static double MinAbsGenePairCorrelation(double[][] rows)
    {
        int genes = rows[0].Length;
        double min = 1;
        for (int i = 0; i < genes; i++)
            for (int j = i + 1; j < genes; j++)
                min = Math.Min(min, Math.Abs(Pearson(Column(rows, i), Column(rows, j))));
        return min;
    }
}
