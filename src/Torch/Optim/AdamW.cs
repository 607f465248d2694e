using MlNetStem.Torch.Interop;

namespace MlNetStem.Torch.Optim;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter), matching torch.optim.AdamW: decoupled weight decay, bias-corrected
/// moments. Deterministic and seedless; the whole step runs natively in one call.
/// </summary>
/// <example>
/// <code>
/// using var opt = new AdamW(model.Parameters(), learningRate: 1e-3);
/// opt.ZeroGrad(); loss.Backward(); opt.Step();
/// </code>
/// </example>
public sealed class AdamW : IDisposable
{
    private readonly Tensor[] _parameters;
    private readonly Tensor[] _expAvg;
    private readonly Tensor[] _expAvgSq;
    private double _learningRate;

    /// <summary>Creates the optimizer with zeroed moment estimates.</summary>
    /// <exception cref="ArgumentException">No parameters, a parameter that does not require grad, or a hyper-parameter out of range.</exception>
    public AdamW(IEnumerable<Tensor> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0.01)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = parameters.ToArray();
        if (_parameters.Length == 0) throw new ArgumentException("AdamW needs at least one parameter.", nameof(parameters));
        for (var i = 0; i < _parameters.Length; i++)
        {
            if (_parameters[i] is null) throw new ArgumentException($"AdamW: parameter {i} is null.", nameof(parameters));
            if (!_parameters[i].RequiresGrad)
                throw new ArgumentException($"AdamW: parameter {i} {_parameters[i]} does not require grad.", nameof(parameters));
        }
        if (_parameters.Distinct(ReferenceEqualityComparer.Instance).Count() != _parameters.Length)
            throw new ArgumentException("AdamW: a parameter appears twice.", nameof(parameters));
        if (beta1 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "beta1 must be in [0, 1).");
        if (beta2 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "beta2 must be in [0, 1).");
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be positive.");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "weightDecay must be >= 0.");
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
        _expAvg = _parameters.Select(Zeros).ToArray();
        _expAvgSq = _parameters.Select(Zeros).ToArray();
    }

    private static Tensor Zeros(Tensor p) => Tensor.Zeros(p.Shape.ToArray(), p.DType, p.Device).DetachFromDisposeScope();

    /// <summary>The learning rate of the next step; set it for schedules.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative or not finite.</exception>
    public double LearningRate
    {
        get => _learningRate;
        set
        {
            if (!(value >= 0) || double.IsInfinity(value))
                throw new ArgumentOutOfRangeException(nameof(value), value, "The learning rate must be finite and >= 0.");
            _learningRate = value;
        }
    }

    /// <summary>Decay of the first-moment estimate.</summary>
    public double Beta1 { get; }

    /// <summary>Decay of the second-moment estimate.</summary>
    public double Beta2 { get; }

    /// <summary>Denominator epsilon.</summary>
    public double Eps { get; }

    /// <summary>Decoupled weight decay coefficient.</summary>
    public double WeightDecay { get; }

    /// <summary>Number of steps taken.</summary>
    public long StepCount { get; private set; }

    /// <summary>The optimized tensors.</summary>
    public IReadOnlyList<Tensor> Parameters => _parameters;

    /// <summary>Drops every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var p in _parameters) p.ZeroGrad();
    }

    /// <summary>Updates every parameter that has a gradient.</summary>
    /// <exception cref="ObjectDisposedException">A parameter or the optimizer was disposed.</exception>
    public void Step()
    {
        using var lease = new HandleLease();
        var p = lease.AddAll(_parameters);
        var m = lease.AddAll(_expAvg);
        var v = lease.AddAll(_expAvgSq);
        Status.Check(NativeMethods.mst_adamw_step(p, m, v, p.Length, LearningRate, Beta1, Beta2, Eps, WeightDecay, StepCount + 1),
            "adamw_step");
        StepCount++;
    }

    /// <summary>Writes the moments and the step count (for resuming training) in the <see cref="StateDict"/> format.</summary>
    public void SaveState(Stream stream)
    {
        using var scope = Tensor.NewScope();
        var step = Tensor.FromArray(new[] { StepCount }, [1]);
        StateDict.Save(stream, StateEntries(step));
    }

    /// <summary>Restores what <see cref="SaveState"/> wrote for the same parameter list.</summary>
    /// <exception cref="InvalidDataException">The state does not match these parameters or is malformed.</exception>
    public void LoadState(Stream stream)
    {
        using var scope = Tensor.NewScope();
        var step = Tensor.Zeros([1], DType.Int64);
        StateDict.LoadInto(stream, StateEntries(step).ToList());
        StepCount = step.ToInt64Array()[0];
    }

    private IEnumerable<KeyValuePair<string, Tensor>> StateEntries(Tensor step)
    {
        yield return new("step", step);
        for (var i = 0; i < _parameters.Length; i++)
        {
            yield return new($"exp_avg.{i}", _expAvg[i]);
            yield return new($"exp_avg_sq.{i}", _expAvgSq[i]);
        }
    }

    /// <summary>Releases the moment tensors (not the parameters).</summary>
    public void Dispose()
    {
        foreach (var t in _expAvg) t.Dispose();
        foreach (var t in _expAvgSq) t.Dispose();
    }
}
