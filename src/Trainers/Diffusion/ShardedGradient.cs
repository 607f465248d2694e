using System.Runtime.ExceptionServices;
using MlNetStem.Torch;

namespace MlNetStem.Trainers.Diffusion;

/// <summary>
/// Data parallelism inside one process: each shard of a batch is differentiated on its own thread (libtorch runs every
/// op single-threaded on the calling thread, so two shards keep two cores busy with no OpenMP/OpenBLAS oversubscription),
/// then the shard gradients are summed in shard order — so the result depends on the shard count, never on thread timing.
/// </summary>
internal static class ShardedGradient
{
    /// <summary>Splits <paramref name="rows"/> into at most <paramref name="workers"/> contiguous shards of at least
    /// <paramref name="minimumRows"/> rows each (one shard when the batch is small).</summary>
    public static (int Start, int Length)[] Split(int rows, int workers, int minimumRows = 8)
    {
        int shards = Math.Clamp(Math.Min(workers, rows / Math.Max(1, minimumRows)), 1, Math.Max(1, rows));
        var result = new (int, int)[shards];
        for (int k = 0; k < shards; k++)
        {
            int start = (int)((long)rows * k / shards), end = (int)((long)rows * (k + 1) / shards);
            result[k] = (start, end - start);
        }
        return result;
    }

    /// <summary>
    /// Computes <c>Σ_k loss_k</c> with <paramref name="shardLoss"/>(k) on shard k's thread and sets every parameter's
    /// gradient to the sum of the shards' gradients. With one shard it is a plain backward on the calling thread.
    /// </summary>
    /// <returns>The summed loss value.</returns>
    public static double Backward(IReadOnlyList<Tensor> parameters, int shards, Func<int, Tensor> shardLoss)
    {
        if (shards == 1)
        {
            var loss = shardLoss(0);
            loss.Backward();
            return loss.Item();
        }
        var gradients = new Tensor?[shards][];
        var losses = new double[shards];
        try
        {
            try
            {
                Parallel.For(0, shards, new ParallelOptions { MaxDegreeOfParallelism = shards }, k =>
                {
                    using var scope = Tensor.NewScope();
                    var loss = shardLoss(k);
                    losses[k] = loss.Item();
                    var g = Tensor.Gradients(loss, parameters);
                    foreach (var t in g) t?.DetachFromDisposeScope();
                    gradients[k] = g;
                });
            }
            catch (AggregateException e) when (e.InnerExceptions.Count >= 1)
            {
                ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
                throw;
            }
            using var sumScope = Tensor.NewScope();
            for (int i = 0; i < parameters.Count; i++)
            {
                Tensor? sum = null;
                for (int k = 0; k < shards; k++)
                    if (gradients[k][i] is { } g) sum = sum is null ? g : sum + g;
                parameters[i].SetGrad(sum);
            }
            return losses.Sum();
        }
        finally
        {
            foreach (var shard in gradients)
                if (shard is not null)
                    foreach (var t in shard) t?.Dispose();
        }
    }
}
