using MlNetStem.Data;
using MlNetStem.Model;
using MlNetStem.Pipeline;

namespace MlNetStem.Transforms.Expression;

/// <summary>
/// <c>output_g = center_g + factor_g · (score_g − center_g)</c>: the per-gene stretch fitted by
/// <see cref="PreserveVarianceEstimator"/> on one section.
/// </summary>
[ModelComponent("PreserveVariance", 1)]
public sealed class PreserveVarianceTransformer : ColumnMapperTransformer
{
    private readonly float[] _center;
    private readonly float[] _factor;

    /// <summary>Creates the transformer.</summary>
    /// <exception cref="ArgumentException">Centers and factors differ in length, or a factor is not positive and finite.</exception>
    public PreserveVarianceTransformer(string outputColumn, string scoreColumn, float[] center, float[] factor) : base(outputColumn, scoreColumn)
    {
        ArgumentNullException.ThrowIfNull(center);
        ArgumentNullException.ThrowIfNull(factor);
        if (center.Length != factor.Length) throw new ArgumentException($"PreserveVariance: {center.Length} centers for {factor.Length} factors.");
        if (!center.All(float.IsFinite) || !factor.All(f => float.IsFinite(f) && f > 0))
            throw new ArgumentException("PreserveVariance: centers must be finite and factors positive and finite.");
        _center = center;
        _factor = factor;
    }

    /// <summary>Per-gene stretch factors (≥ 1 when fitted: the draws' spread only adds variance).</summary>
    public IReadOnlyList<float> Factors => _factor;

    /// <inheritdoc />
    protected override DataViewSchema.DetachedColumn GetOutputColumn(DataViewSchema inputSchema, DataViewSchema.Column input)
    {
        if (input.Type.Kind != ColumnKind.FloatTensor || input.Type.Size != _factor.Length)
            throw new SchemaMismatchException(InputColumn, $"a float vector of {_factor.Length} values", input.Type.ToString(), "PreserveVariance");
        return SchemaColumns.Create(OutputColumn, input.Type, input.SlotNames);
    }

    /// <inheritdoc />
    protected override Func<DataBatch, Array> CreateMapper(DataViewSchema inputSchema, DataViewSchema.DetachedColumn output, List<IDisposable> resources)
    {
        int g = _factor.Length;
        return batch =>
        {
            var score = batch.GetFloats(InputColumn);
            var result = new float[score.Length];
            for (int i = 0; i < score.Length; i++)
                result[i] = _center[i % g] + _factor[i % g] * (score[i] - _center[i % g]);
            return result;
        };
    }

    /// <inheritdoc />
    public override void Save(ComponentSaveContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.WriteJson("options.json", new State(OutputColumn, InputColumn, _factor.Length));
        context.WriteFloats("center.f32", _center);
        context.WriteFloats("factor.f32", _factor);
    }

    /// <summary>Reads the transformer written by <see cref="Save"/>.</summary>
    /// <exception cref="ModelFormatException">An entry is missing or holds invalid values.</exception>
    public static ITransformer Load(ComponentLoadContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var s = context.ReadJson<State>("options.json");
        if (s.Genes < 1) throw new ModelFormatException($"PreserveVariance entry describes {s.Genes} values.");
        try
        {
            return new PreserveVarianceTransformer(s.OutputColumn, s.InputColumn, context.ReadFloats("center.f32", s.Genes), context.ReadFloats("factor.f32", s.Genes));
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException(e.Message, e);
        }
    }

    private sealed record State(string OutputColumn, string InputColumn, int Genes);
}
