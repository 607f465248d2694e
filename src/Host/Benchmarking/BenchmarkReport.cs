using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using MlNetStem.Evaluation;

namespace MlNetStem.Host.Benchmarking;

/// <summary>Writes a <see cref="BenchmarkResult"/>: per-section tables on the console, a CSV of every metric, a JSON of everything.</summary>
public static class BenchmarkReport
{
    private static readonly (string Name, Func<ExpressionMetrics, double?> Value)[] Tables =
    [
        ("mean PCC", m => m.MeanPcc),
        ("PCC-10 (mean PCC of the 10 best-predicted genes)", m => m.Pcc10),
        ("MSE", m => m.Mse),
        ("RVD (relative variance distance, lower is better)", m => m.Rvd),
    ];

    /// <summary>A one-paragraph description of the protocol, panel, normalization and features.</summary>
    public static string Describe(BenchmarkResult result)
    {
        var s = result.Settings;
        return $"{Protocol(result)} over {result.Sections.Count} sections ({string.Join(", ", result.Sections.Select(x => x.Name))}); " +
            $"panel: top {s.Genes} genes ({s.Ranking}) chosen per fold on its training sections only; targets log2(x+1) of raw counts; " +
            $"features: {s.Featurizer}{(s.UsesOnnx ? $" ({string.Join(" + ", s.Encoders!.Select(Path.GetFileName))})" : "")} on " +
            $"{s.PatchMicrons:0} µm patches, computed once per section" +
            (s.ContextNeighbours > 0 ? $"; regressors also read the mean features of each spot's {s.ContextNeighbours} nearest spots" : "") +
            $"; seed {result.Seed}.";
    }

    /// <summary>Per-section tables (rows: test sections, columns: trainers) and the average over sections.</summary>
    public static void WriteTables(TextWriter output, BenchmarkResult result)
    {
        output.WriteLine(Describe(result));
        var sections = result.Rows.Select(r => (r.Fold, r.Section)).Distinct().ToArray();
        int first = Math.Max(12, sections.Max(x => x.Section.Length) + 2);
        int width = Math.Max(12, result.Trainers.Max(t => t.Length) + 2);
        foreach (var (name, value) in Tables)
        {
            output.WriteLine();
            output.WriteLine(name);
            output.WriteLine("section".PadRight(first) + string.Concat(result.Trainers.Select(t => t.PadLeft(width))));
            output.WriteLine(new string('-', first + width * result.Trainers.Count));
            foreach (var (fold, section) in sections)
                output.WriteLine(section.PadRight(first) + string.Concat(result.Trainers.Select(t =>
                    F(value(result.Rows.Single(r => r.Fold == fold && r.Section == section && r.Trainer == t).Metrics)).PadLeft(width))));
            output.WriteLine("average".PadRight(first) + string.Concat(result.Trainers.Select(t =>
                F(Average(result.Rows.Where(r => r.Trainer == t).Select(r => value(r.Metrics)))).PadLeft(width))));
        }
    }

    /// <summary>One CSV row per fold, test section and trainer with every metric.</summary>
    public static string ToCsv(BenchmarkResult result)
    {
        var csv = new StringBuilder("fold,section,trainer,spots,genes,mean_pcc,pcc10,pcc50,pcc200,mse,mae,rvd,coverage80,coverage90,train_seconds\n");
        foreach (var r in result.Rows)
        {
            var m = r.Metrics;
            csv.AppendLine(string.Join(",", Quote(r.Fold), Quote(r.Section), r.Trainer, m.SpotCount.ToString(CultureInfo.InvariantCulture),
                m.GeneCount.ToString(CultureInfo.InvariantCulture), N(m.MeanPcc), N(m.Pcc10), N(m.Pcc50), N(m.Pcc200), N(m.Mse), N(m.Mae),
                N(m.Rvd), N(m.Coverage80), N(m.Coverage90), N(r.TrainSeconds)));
        }
        return csv.ToString();
    }

    /// <summary>The whole result as JSON: protocol, sections, folds with their panels, settings, seed, every row.</summary>
    public static string ToJson(BenchmarkResult result)
    {
        var s = result.Settings;
        var document = new
        {
            protocol = Protocol(result),
            description = Describe(result),
            sections = result.Sections.Select(x => new { x.Name, x.Path, x.Patient, x.MicronsPerPixel, x.Split }),
            folds = result.Folds.Select(f => new { f.Name, f.Train, f.Test, panel = result.Panels.GetValueOrDefault(f.Name) }),
            settings = new
            {
                genes = s.Genes, ranking = s.Ranking.ToString(), normalization = "log2(x+1) of raw counts", missingGenes = s.MissingGenes.ToString(),
                featurizer = s.Featurizer, encoders = s.Encoders, patchMicrons = s.PatchMicrons, patchPixels = s.PatchPixels,
                dihedralViews = s.DihedralViews, ridgeAlpha = s.Alpha, ridgePca = s.Pca, epochs = s.Epochs, contextNeighbours = s.ContextNeighbours,
            },
            trainers = result.Trainers,
            seed = result.Seed,
            averages = result.Trainers.ToDictionary(t => t, t => new
            {
                meanPcc = Average(result.Rows.Where(r => r.Trainer == t).Select(r => (double?)r.Metrics.MeanPcc)),
                mse = Average(result.Rows.Where(r => r.Trainer == t).Select(r => (double?)r.Metrics.Mse)),
                rvd = Average(result.Rows.Where(r => r.Trainer == t).Select(r => (double?)r.Metrics.Rvd)),
            }),
            rows = result.Rows.Select(r => new { r.Fold, r.Section, r.Trainer, r.TrainSeconds, r.Metrics }),
        };
        return JsonSerializer.Serialize(document, new JsonSerializerOptions
        {
            WriteIndented = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        });
    }

    private static string Protocol(BenchmarkResult result) => result.Split switch
    {
        Data.CohortSplit.LeaveOneSectionOut => "leave-one-section-out",
        Data.CohortSplit.LeaveOnePatientOut => "leave-one-patient-out",
        _ => "manifest split",
    };

    private static double? Average(IEnumerable<double?> values)
    {
        var finite = values.Where(v => v is { } x && double.IsFinite(x)).Select(v => v!.Value).ToArray();
        return finite.Length == 0 ? null : finite.Average();
    }

    private static string F(double? v) => v is { } x && double.IsFinite(x) ? x.ToString("0.0000", CultureInfo.InvariantCulture) : "n/a";

    private static string N(double? v) => v is { } x && double.IsFinite(x) ? x.ToString("R", CultureInfo.InvariantCulture) : "";

    private static string Quote(string s) => s.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
