using MlNetStem.Onnx.Writer;

namespace MlNetStem.Torch.Nn;

/// <summary>Applies its modules in order; they are named "0", "1", ... in parameter names.</summary>
public sealed class Sequential : TensorModule, IOnnxExportable
{
    private readonly TensorModule[] _modules;

    /// <summary>Chains <paramref name="modules"/>; the sequential takes ownership of them.</summary>
    /// <exception cref="ArgumentException">No modules, or a null entry.</exception>
    public Sequential(params TensorModule[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        if (modules.Length == 0) throw new ArgumentException("Sequential needs at least one module.", nameof(modules));
        _modules = (TensorModule[])modules.Clone();
        for (var i = 0; i < _modules.Length; i++)
            RegisterModule(i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                _modules[i] ?? throw new ArgumentException($"Sequential: module {i} is null.", nameof(modules)));
    }

    /// <summary>The chained modules.</summary>
    public IReadOnlyList<TensorModule> Modules => _modules;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var x = input;
        foreach (var m in _modules) x = m.Forward(x);
        return x;
    }

    /// <summary>Emits the modules in order, module <c>i</c> under the prefix <c>namePrefix.i</c>.</summary>
    /// <inheritdoc/>
    public string EmitOnnx(OnnxGraphBuilder graph, string input, string namePrefix)
    {
        var x = input;
        for (var i = 0; i < _modules.Length; i++)
            x = OnnxExport.Emit(_modules[i], graph, x, OnnxExport.Join(namePrefix, i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return x;
    }
}
