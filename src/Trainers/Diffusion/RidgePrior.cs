using MlNetStem.Trainers.Ridge;

namespace MlNetStem.Trainers.Diffusion;

/// <summary>
/// The fitted ridge mean of <see cref="MeanPrior.Ridge"/>, in the diffusion's standardized feature and label spaces,
/// plus the range of its cross-fitted training residuals (the clip range of the residual diffusion).
/// </summary>
internal sealed record RidgePrior(RidgeSolver.Solution Ridge, float[] ResidualMin, float[] ResidualMax)
{
    /// <summary>
    /// Fits the prior on every view of every training row (views share their row's label) and returns the out-of-fold
    /// predictions for all <paramref name="n"/>·<paramref name="views"/> feature rows: fold f's rows are predicted by a
    /// ridge fitted without them. Folds are drawn from <paramref name="seed"/>.
    /// </summary>
    public static (RidgePrior Prior, float[] OutOfFold) Fit(float[] features, float[] labels, int n, int views, int d, int g, int folds, int seed)
    {
        folds = Math.Clamp(folds, 2, n);
        var order = Enumerable.Range(0, n).ToArray();
        new Random((int)(SeedMixer.Mix(seed, 0, 7) & int.MaxValue)).Shuffle(order);
        var fold = new int[n];
        for (int i = 0; i < n; i++) fold[order[i]] = i % folds;

        var outOfFold = new float[(long)n * views * g];
        for (int f = 0; f < folds; f++)
        {
            var train = Enumerable.Range(0, n).Where(r => fold[r] != f).ToArray();
            var solution = RidgeSolver.Fit(ViewRows(features, train, views, d), LabelRows(labels, train, views, g), train.Length * views, d, g);
            foreach (int r in Enumerable.Range(0, n).Where(r => fold[r] == f))
                solution.Predict(features.AsSpan(r * views * d, views * d), views, outOfFold.AsSpan(r * views * g, views * g));
        }
        var all = Enumerable.Range(0, n).ToArray();
        var full = RidgeSolver.Fit(ViewRows(features, all, views, d), LabelRows(labels, all, views, g), n * views, d, g);

        var min = Enumerable.Repeat(float.PositiveInfinity, g).ToArray();
        var max = Enumerable.Repeat(float.NegativeInfinity, g).ToArray();
        for (int row = 0; row < n * views; row++)
            for (int j = 0; j < g; j++)
            {
                float residual = labels[row / views * g + j] - outOfFold[row * g + j];
                min[j] = Math.Min(min[j], residual);
                max[j] = Math.Max(max[j], residual);
            }
        return (new RidgePrior(full, min, max), outOfFold);
    }

    /// <summary>Adds the prior mean of each spot to its draws: <paramref name="draws"/> is [spots, draws, genes] and
    /// <paramref name="features"/> [spots, features], both standardized.</summary>
    public void AddTo(float[] draws, float[] features, int spots, int drawsPerSpot)
    {
        int g = Ridge.Outputs;
        var mean = new float[spots * g];
        Ridge.Predict(features, spots, mean);
        for (int s = 0; s < spots; s++)
            for (int k = 0; k < drawsPerSpot; k++)
            {
                var row = draws.AsSpan((s * drawsPerSpot + k) * g, g);
                for (int j = 0; j < g; j++) row[j] += mean[s * g + j];
            }
    }

    private static float[] ViewRows(float[] features, int[] rows, int views, int d)
    {
        var result = new float[(long)rows.Length * views * d];
        for (int i = 0; i < rows.Length; i++)
            features.AsSpan(rows[i] * views * d, views * d).CopyTo(result.AsSpan(i * views * d));
        return result;
    }

    private static float[] LabelRows(float[] labels, int[] rows, int views, int g)
    {
        var result = new float[(long)rows.Length * views * g];
        for (int i = 0; i < rows.Length; i++)
            for (int a = 0; a < views; a++)
                labels.AsSpan(rows[i] * g, g).CopyTo(result.AsSpan((i * views + a) * g));
        return result;
    }
}
