using System.Collections;
using MlNetStem.Data;
using Xunit;

namespace MlNetStem.TestKit;

/// <summary>Compares data views value by value.</summary>
public static class DataViewAssert
{
    public static void Equal(IDataView expected, IDataView actual)
    {
        var columns = expected.Schema.Visible().Select(c => c.Name).ToArray();
        var a = DataViewMaterializer.Materialize(expected, columns);
        var b = DataViewMaterializer.Materialize(actual, columns);
        Assert.Equal(a.Rows, b.Rows);
        foreach (var c in columns)
        {
            var x = (IList)a.GetColumnArray(c);
            var y = (IList)b.GetColumnArray(c);
            Assert.Equal(x.Count, y.Count);
            for (int i = 0; i < x.Count; i++)
                Assert.True(Equals(x[i], y[i]), $"column '{c}' differs at value {i}: {x[i]} vs {y[i]}");
        }
    }
}
