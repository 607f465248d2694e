using FluentAssertions;
using MlNetStem.Data;
using MlNetStem.Trainers.Ridge;
using Xunit;

namespace MlNetStem.Trainers.Tests;

/// <summary>
/// HEST-Benchmark's linear probe (StandardScaler → PCA → ridge, α = 100/(D·G), no intercept) against values worked out by
/// hand on a 5 × 2 matrix. Features x₁ = 1..5 and x₂ = 2,1,5,3,4 both have mean 3 and population variance 2, so the
/// standardized rows are d/√2 with d₁ = −2,−1,0,1,2 and d₂ = −1,−2,2,0,1; the target is y = 1,2,2,4,5.
/// </summary>
public class HestRidgeTests
{
    private static readonly float[] X = [1, 2, 2, 1, 3, 5, 4, 3, 5, 4];
    private static readonly float[] Y = [1, 2, 2, 4, 5];
    private static readonly double[] D1 = [-2, -1, 0, 1, 2];
    private static readonly double[] D2 = [-1, -2, 2, 0, 1];

    private static InMemoryDataView Data() => new([
        SchemaColumns.Create("Features", ColumnTypes.FloatTensor(2)),
        SchemaColumns.Create("Expression", ColumnTypes.FloatTensor(1), ["G"]),
    ], 5, new Dictionary<string, Array> { ["Features"] = X, ["Expression"] = Y });

    [Fact]
    public void AllComponents_MatchTheClosedFormByHand()
    {
        // D = 2 (PCA(256) keeps both axes, a rotation), G = 1: α = 100/2 = 50. ZᵀZ = [[5,3],[3,5]], Zᵀy = [10,4]/√2,
        // so w = [[55,3],[3,55]]⁻¹ [10,4]/√2 = [538,190]/(3016 √2) and ŷ = (538 d₁ + 190 d₂)/6032, with no intercept.
        var model = new MLContext(1).SpatialExpression().Trainers.Ridge(RidgeOptions.Hest()).Fit(Data());
        model.Alpha.Should().Be(50);
        var predicted = MlpData.Column(model.Transform(Data()), "Score");
        var expected = D1.Zip(D2, (a, b) => (538 * a + 190 * b) / 6032).ToArray();
        predicted.Select(v => (double)v).Should().Equal(expected, (a, b) => Math.Abs(a - b) < 1e-5);
        predicted.Sum().Should().BeApproximately(0, 1e-5f, "standardized features and no intercept give mean-zero predictions on training rows");
    }

    [Fact]
    public void OneComponent_RegressesOnTheFirstPrincipalAxis()
    {
        // The standardized covariance [[1,0.6],[0.6,1]] has its top axis (1,1)/√2, so the score is (d₁+d₂)/2 =
        // −1.5,−1.5,1,0.5,1.5: Σs² = 8, Σs·y = 7. D = 1, α = 100, w = 7/108.
        var options = RidgeOptions.Hest() with { PcaComponents = 1 };
        var model = new MLContext(1).SpatialExpression().Trainers.Ridge(options).Fit(Data());
        model.Alpha.Should().Be(100);
        var predicted = MlpData.Column(model.Transform(Data()), "Score");
        var expected = D1.Zip(D2, (a, b) => (a + b) / 2 * 7 / 108).ToArray();
        predicted.Select(v => (double)v).Should().Equal(expected, (a, b) => Math.Abs(a - b) < 1e-5);
    }

    [Fact]
    public void DefaultRidge_FitsAnIntercept_TheHestProbeDoesNot()
    {
        var ours = new MLContext(1).SpatialExpression().Trainers.Ridge(alpha: 50).Fit(Data());
        // Same penalty, with intercept: the training mean of y (2.8) is added back.
        var predicted = MlpData.Column(ours.Transform(Data()), "Score");
        predicted.Average().Should().BeApproximately(2.8f, 1e-5f);
    }
}
