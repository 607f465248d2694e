using MlNetStem.Onnx.Writer;

namespace MlNetStem.Torch.Nn;

/// <summary>
/// Inverted dropout: in training mode zeroes each element with probability <see cref="P"/> and
/// scales the rest by 1/(1−p); identity in evaluation mode. The mask comes from an explicit
/// <see cref="Generator"/> so training stays reproducible. The module does not own the generator.
/// </summary>
public sealed class Dropout : TensorModule, IOnnxExportable
{
    private readonly Generator _generator;

    /// <summary>Creates the layer.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1).</exception>
    public Dropout(double p, Generator generator)
    {
        if (p is < 0 or >= 1 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout probability must be in [0, 1).");
        ArgumentNullException.ThrowIfNull(generator);
        P = p;
        _generator = generator;
    }

    /// <summary>The probability of zeroing an element.</summary>
    public double P { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!IsTraining || P == 0) return input.Clone();
        using var scope = Tensor.NewScope();
        using var threshold = Tensor.Full([], P, input.DType, input.Device);
        var keep = Tensor.Rand(input.Shape.ToArray(), _generator, input.DType, input.Device).Ge(threshold).To(input.DType);
        return (input * keep / (1 - P)).MoveToOuterScope();
    }

    /// <summary>Emits <c>Identity</c>: exported graphs compute the evaluation-mode forward pass.</summary>
    /// <inheritdoc/>
    public string EmitOnnx(OnnxGraphBuilder graph, string input, string namePrefix)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.AddNode("Identity", [input]);
    }
}
