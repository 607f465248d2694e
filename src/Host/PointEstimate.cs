using MlNetStem.Data;
using MlNetStem.Transforms;

namespace MlNetStem.Host;

/// <summary>What a diffusion model's prediction ("Score") is: the mean of its draws, or that mean stretched to preserve variance.</summary>
public enum PointEstimate
{
    /// <summary>The mean of the draws (MSE-optimal; the default).</summary>
    Mean,

    /// <summary>
    /// The mean stretched per gene around its section average so its variance across the section equals
    /// Var(mean) + mean(std²), the model's total predicted variance (PreserveVariance, fitted on the predicted section).
    /// PCC is that of the mean.
    /// </summary>
    PreserveVariance,
}

/// <summary>The <c>--point-estimate</c> option of demo, predict and evaluate.</summary>
public static class PointEstimates
{
    /// <summary>Column keeping the plain mean of the draws when <see cref="PointEstimate.PreserveVariance"/> replaced "Score".</summary>
    public const string MeanColumn = "ScoreMean";

    /// <summary>The label of <see cref="PointEstimate.PreserveVariance"/> on the command line and in tables.</summary>
    public const string PreserveVarianceName = "preserve-variance";

    /// <summary>The option.</summary>
    public static CommandOption CommandOption { get; } = new("point-estimate",
        "prediction of diffusion (stem) models: mean (of the draws) | preserve-variance (the mean stretched per gene so its variance over the section " +
        "is the model's total predicted variance, Var(mean) + mean(std²); same PCC; fitted on the predicted section)", "NAME", "mean");

    /// <summary>Reads the option.</summary>
    /// <exception cref="UsageException">An unknown value.</exception>
    public static PointEstimate From(ParsedArguments args) => args.Get("point-estimate", "mean") switch
    {
        "mean" => PointEstimate.Mean,
        PreserveVarianceName => PointEstimate.PreserveVariance,
        var other => throw new UsageException($"unknown point estimate '{other}' (available: mean, {PreserveVarianceName})"),
    };

    /// <summary>True when a scored section carries the draws' spread (a diffusion model scored it).</summary>
    public static bool HasSpread(IDataView scored) => scored.Schema.Find("ScoreStd") is not null;

    /// <summary>
    /// Fits PreserveVariance on the scored section and returns it with "Score" replaced by the preserved values; the mean
    /// of the draws moves to <see cref="MeanColumn"/> (same type and slot names). Every other column is kept.
    /// </summary>
    /// <exception cref="UsageException">The section has no "ScoreStd" (the model is not a diffusion model).</exception>
    public static InMemoryDataView PreserveVariance(MLContext ctx, InMemoryDataView scored)
    {
        if (!HasSpread(scored)) throw new UsageException($"--point-estimate {PreserveVarianceName} needs a diffusion (stem) model");
        const string preserved = "ScorePreserved";
        var transformer = ctx.Transforms.PreserveVariance(preserved, "Score", "ScoreStd").Fit(scored);
        var values = (float[])DataViewMaterializer.Materialize(transformer.Transform(scored), [preserved]).GetColumnArray(preserved);
        var score = scored.Schema["Score"];
        var columns = new Dictionary<string, Array>(StringComparer.Ordinal);
        var schema = new List<DataViewSchema.DetachedColumn>();
        foreach (var c in scored.Schema.Visible())
        {
            if (c.Name == MeanColumn) continue;
            schema.Add(new DataViewSchema.DetachedColumn(c.Name, c.Type, c.Annotations));
            columns[c.Name] = c.Name == "Score" ? values : scored.GetColumnArray(c.Name);
        }
        schema.Add(new DataViewSchema.DetachedColumn(MeanColumn, score.Type, score.Annotations));
        columns[MeanColumn] = scored.GetColumnArray("Score");
        return new InMemoryDataView(schema, scored.Rows, columns);
    }
}
