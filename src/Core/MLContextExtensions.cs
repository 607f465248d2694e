namespace MlNetStem;

/// <summary>Reaches MlNetStem from an <see cref="MLContext"/>.</summary>
public static class MLContextExtensions
{
    /// <summary>MlNetStem's catalog on this context: trainers, evaluation, model archive, ONNX export, progress.</summary>
    public static SpatialExpressionCatalog SpatialExpression(this MLContext context) => SpatialExpressionCatalog.For(context);
}
