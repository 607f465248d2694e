using MlNetStem.Evaluation;

namespace MlNetStem.Host.Benchmarking;

/// <summary>One trainer scored on one held-out section in one fold of a benchmark.</summary>
/// <param name="Fold">The fold (held-out section or patient).</param>
/// <param name="Section">The scored test section.</param>
/// <param name="Trainer">Trainer name.</param>
/// <param name="Metrics">Metrics on the fold's panel, log2(x+1) expression.</param>
/// <param name="TrainSeconds">Wall-clock time of fitting the panel and the trainer (features were cached).</param>
public sealed record BenchmarkRow(string Fold, string Section, string Trainer, ExpressionMetrics Metrics, double TrainSeconds);
