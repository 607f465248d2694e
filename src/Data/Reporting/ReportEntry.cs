using MlNetStem.Evaluation;

namespace MlNetStem.Data.Reporting;

/// <summary>One model in a report: its name, its predictions over the section, and its metrics when the section had counts.</summary>
/// <param name="Name">Shown in tables and legends (e.g. the trainer or model file).</param>
/// <param name="Spots">The model's predictions.</param>
/// <param name="Metrics">Metrics against the measured expression, or null for an unsequenced section.</param>
public sealed record ReportEntry(string Name, ScoredSpots Spots, ExpressionMetrics? Metrics);
