using System.Globalization;
using MlNetStem.Torch;
using MlNetStem.Torch.Nn;

namespace MlNetStem.Trainers.Mlp;

/// <summary>
/// Linear layers named "0", "1", ... with the activation (and, while training, dropout) between
/// them. Dropout is applied functionally rather than registered, so the training network and
/// the prediction network have identical state-dict names. Callers open a DisposeScope.
/// </summary>
internal sealed class MlpNetwork : TensorModule
{
    private readonly Linear[] _layers;
    private readonly Dropout? _dropout;

    public MlpNetwork(int inputs, IReadOnlyList<int> hidden, int outputs, MlpActivation activation,
        Generator init, double dropout = 0, Generator? dropoutGenerator = null)
    {
        int[] widths = [inputs, .. hidden, outputs];
        _layers = new Linear[widths.Length - 1];
        for (int i = 0; i < _layers.Length; i++)
            _layers[i] = RegisterModule(i.ToString(CultureInfo.InvariantCulture), new Linear(widths[i], widths[i + 1], init));
        Activation = activation;
        if (dropout > 0 && dropoutGenerator is not null) _dropout = new Dropout(dropout, dropoutGenerator);
    }

    public MlpActivation Activation { get; }

    public IReadOnlyList<Linear> Layers => _layers;

    public override Tensor Forward(Tensor input)
    {
        var x = input;
        for (int i = 0; i < _layers.Length - 1; i++)
        {
            x = _layers[i].Forward(x);
            x = Activation == MlpActivation.Gelu ? x.Gelu(tanhApproximation: false) : x.Silu();
            if (IsTraining && _dropout is not null) x = _dropout.Forward(x);
        }
        return _layers[^1].Forward(x);
    }
}
